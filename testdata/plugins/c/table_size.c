/* A plugin that saw a HostFunctions of the wrong size (a stray field in a
 * hand-written declaration): refused from the manifest. */
#include "plugctl.h"

typedef struct WrongFunctions {
    uint32_t (*get_version)(void *ctx);
    void (*log)(void *ctx, const uint8_t *message, size_t message_len);
    void (*extra)(void);
} WrongFunctions;

PLUGIN_EXPORT const PluginManifest plugin_manifest = {
    PLUGIN_MANIFEST_MAGIC, PLUGIN_MANIFEST_LAYOUT, PLUGIN_API_VERSION, sizeof(WrongFunctions), 0u, "table-size", "1.0.0"};

bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "init_plugin ran: the host did not check the table size");
    return true;
}
