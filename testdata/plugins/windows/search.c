/* Imports searchdep.dll, to show where the loader finds a plugin's
 * dependency: beside the plugin, in the current directory, on PATH or in
 * System32. It logs which copy it got. */
#include <stdio.h>
#include "plugctl.h"
__declspec(dllimport) const char *searchdep_where(void);
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    char msg[80];
    snprintf(msg, sizeof msg, "searchdep.dll from %s", searchdep_where());
    plugin_log(functions, ctx, msg);
    return true;
}
