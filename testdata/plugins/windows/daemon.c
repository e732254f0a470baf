/* Windows twin of c/daemon.c: starts a child process that waits forever and
 * returns true, leaving it running. */
#include "plugctl.h"
#include "winplug.h"
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    DWORD child = start_sleeper();
    write_pids(child);
    plugin_log(functions, ctx, child ? "started a child process that stays" : "could not start a child process");
    return child != 0;
}
