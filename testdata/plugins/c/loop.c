/* Hangs in init_plugin after logging, and first starts a child process that
 * would hang too: a host must kill both. With PLUGCTL_PID_FILE set, the
 * process IDs of the child and of the process that loaded the plugin are
 * written there. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    pid_t child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    const char *file = getenv("PLUGCTL_PID_FILE");
    if (file != NULL && child > 0) {
        FILE *f = fopen(file, "w");
        if (f != NULL) {
            fprintf(f, "%d %d\n", (int)child, (int)getpid());
            fclose(f);
        }
    }
    plugin_log(functions, ctx, "spinning forever");
    for (;;) {
    }
}
