/* Needs libplugdep.so, found through the search path it is linked with:
 * built as librpath.so (DT_RPATH $ORIGIN/deps/a), librunpath.so
 * (DT_RUNPATH $ORIGIN/deps/a) and libuses_b.so (DT_RUNPATH $ORIGIN/deps/b).
 * It logs which copy the loader picked. */
#include <stdio.h>
#include "plugctl.h"
extern const char *plugdep_where(void);
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    char msg[64];
    snprintf(msg, sizeof msg, "libplugdep.so from deps/%s", plugdep_where());
    plugin_log(functions, ctx, msg);
    return true;
}
