/* A plugin of testdata/abi/gstlike: its descriptor says it was built for
 * MAJOR.MINOR (-D flags). Built freestanding, for several systems. With
 * -DSHORT, the symbol is a 4-byte integer: not the host's type; with
 * -DCRASH, plugin_init writes through a bad pointer. */
#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif
#ifdef SHORT
#include <stdint.h>
EXPORT const int32_t gst_plugin_desc = 1;
#else
#include "gstlike.h"
#ifdef CRASH
static int *volatile bad_pointer = (int *)16;
#endif
static bool plugin_init(GstPlugin *plugin) {
    (void)plugin;
#ifdef CRASH
    *bad_pointer = 1;
#endif
    return true;
}
EXPORT const GstPluginDesc gst_plugin_desc = {"sample", MAJOR, MINOR, plugin_init};
#endif
