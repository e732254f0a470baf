/* Logs through a NULL pointer with a non-zero length, then starts. */
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    functions->log(ctx, NULL, 10);
    plugin_log(functions, ctx, "after the NULL message");
    return true;
}
