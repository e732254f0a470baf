/* A plugin built with the C SDK, with a manifest. */
#include <stdio.h>
#include "plugctl.h"

PLUGIN_MANIFEST("sdk-c", "1.0.0");

bool init_plugin(void *ctx, const HostFunctions *functions) {
    char line[80];
    snprintf(line, sizeof line, "hello from the C SDK; the host speaks API %u", functions->get_version(ctx));
    plugin_log(functions, ctx, line);
    return true;
}
