/* Exports a plugin_manifest that is not a plugctl manifest: 120 bytes of
 * something else under the reserved name. */
#include "plugctl.h"
PLUGIN_EXPORT const char plugin_manifest[120] = "this is not a manifest";
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    (void)ctx; (void)functions;
    return true;
}
