/* A host in the shape of CLAP: plugins export an entry struct, clap_entry,
 * that holds the version they were built for (a nested struct) and the
 * functions the host calls, init first, with the plugin's path. */
#include <stdint.h>
#include <stdbool.h>

typedef struct clap_version {
    uint32_t major;
    uint32_t minor;
    uint32_t revision;
} clap_version_t;

typedef struct clap_plugin_entry {
    clap_version_t clap_version;
    bool (*init)(const char *plugin_path);
    void (*deinit)(void);
    const void *(*get_factory)(const char *factory_id);
} clap_plugin_entry_t;

extern const clap_plugin_entry_t clap_entry;
