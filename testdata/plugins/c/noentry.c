/* Exports a function, but not init_plugin. */
#include <stdbool.h>
__attribute__((visibility("default"))) bool plugin_start(void) { return true; }
