/* Kills its own process with SIGKILL in init_plugin: nothing outside sent
 * it, and the out-of-memory killer did not run. */
#include <signal.h>
#include <unistd.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "killing my own process");
    kill(getpid(), SIGKILL);
    return true;
}
