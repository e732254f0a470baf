/* A plugin whose manifest says it was built for API version 2. A v1 host must
 * refuse it from the manifest, without calling init_plugin. */
#include "plugctl.h"

PLUGIN_EXPORT const PluginManifest plugin_manifest = {
    PLUGIN_MANIFEST_MAGIC, PLUGIN_MANIFEST_LAYOUT, 2u, 3 * sizeof(void *), 0u, "future", "2.0.0"};

bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "init_plugin ran: the host did not check the manifest");
    return true;
}
