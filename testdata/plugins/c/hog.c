/* Asks for 3 GiB of address space in init_plugin: under plugctl's default
 * worker limit (4 GiB, of which the worker's runtime reserves about 1.6) the
 * allocation fails and the plugin refuses to start; without a limit it gets
 * the memory (untouched) and starts. */
#include <stdio.h>
#include <stdlib.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    void *p = malloc((size_t)3 << 30);
    if (p == NULL) {
        plugin_log(functions, ctx, "malloc of 3 GiB failed");
        return false;
    }
    free(p);
    plugin_log(functions, ctx, "got 3 GiB");
    return true;
}
