/* Logs, then calls abort(): the process dies of SIGABRT. */
#include <stdlib.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "giving up");
    abort();
}
