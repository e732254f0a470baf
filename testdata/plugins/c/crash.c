/* Dereferences NULL in init_plugin after logging: the process dies of SIGSEGV. */
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "about to crash");
    *(volatile int *)0 = 1;
    return true;
}
