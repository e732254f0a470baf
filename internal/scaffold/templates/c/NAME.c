/* [[.Name]]: a plugin for hosts that speak the plugctl plugin ABI, version 1.
 * plugctl.h is the ABI in C; docs/abi.md in the plugctl repository is the
 * contract. */
#include "plugctl.h"

/* What a host (and plugctl inspect) reads from the file without running it. */
PLUGIN_MANIFEST("[[.Name]]", "0.1.0");

bool init_plugin(void *ctx, const HostFunctions *functions) {
    /* A host of an older API version lacks what this plugin was built for. */
    if (functions->get_version(ctx) < PLUGIN_API_VERSION) {
        return false;
    }
    plugin_log(functions, ctx, "[[.Name]] is ready");
    return true;
}
