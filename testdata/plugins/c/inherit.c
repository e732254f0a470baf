/* Needs libinhmid.so (in deps/inh), which needs libplugdep.so (in deps/a):
 * both directories are on this plugin's own search path. Built as
 * libinherit_rpath.so (DT_RPATH, which libinhmid.so inherits: it loads) and
 * libinherit_runpath.so (DT_RUNPATH, which it does not: libplugdep.so is
 * missing). */
#include <stdio.h>
#include "plugctl.h"
extern const char *inhmid_where(void);
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    char msg[64];
    snprintf(msg, sizeof msg, "libplugdep.so from deps/%s", inhmid_where());
    plugin_log(functions, ctx, msg);
    return true;
}
