/* Exports a plugin_manifest that is far smaller than a manifest. The host must
 * not read 120 bytes from it. */
#include "plugctl.h"

PLUGIN_EXPORT const uint32_t plugin_manifest = 1;

bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "init_plugin ran");
    return true;
}
