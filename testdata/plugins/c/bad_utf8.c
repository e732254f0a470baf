/* Logs bytes that are not UTF-8, then starts. */
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "bad \xff\xfe utf8 \xc3");
    return true;
}
