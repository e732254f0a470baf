/* Windows twin of c/loop.c: starts a child process that waits forever,
 * writes "CHILD HOST" process IDs to PLUGCTL_PID_FILE, logs, then hangs in
 * init_plugin. A host must end both. */
#include "plugctl.h"
#include "winplug.h"
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    write_pids(start_sleeper());
    plugin_log(functions, ctx, "spinning forever");
    for (;;) {
    }
}
