/* A host in the shape of GStreamer: plugins export a descriptor that holds
 * the version they were built for, and the entry point as a member of it.
 * The name comes first, so the version's offset differs by pointer size. */
#include <stdint.h>
#include <stdbool.h>

typedef struct GstPlugin GstPlugin;
typedef bool (*GstPluginInitFunc)(GstPlugin *plugin);

typedef struct {
    const char *name;
    int32_t major_version;
    int32_t minor_version;
    GstPluginInitFunc plugin_init;
} GstPluginDesc;

extern const GstPluginDesc gst_plugin_desc;
