/* Crashes in a library constructor: inside dlopen, before any plugin entry
 * point runs. */
#include "plugctl.h"
int *volatile null_pointer; /* volatile: the compiler cannot drop the store */
__attribute__((constructor)) static void boom(void) { *null_pointer = 1; }
bool init_plugin(void *ctx, const HostFunctions *functions) {
    (void)ctx; (void)functions;
    return true;
}
