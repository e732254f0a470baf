/* A plugin that needs API version 2 and has no manifest, so the host cannot
 * know until it asks: it checks get_version, logs why, and refuses. */
#include <stdio.h>
#include "plugctl.h"

bool init_plugin(void *ctx, const HostFunctions *functions) {
    uint32_t v = functions->get_version(ctx);
    if (v < 2) {
        char line[96];
        snprintf(line, sizeof line, "this plugin needs API version 2, the host speaks %u", v);
        plugin_log(functions, ctx, line);
        return false;
    }
    return true;
}
