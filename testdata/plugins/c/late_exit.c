/* Returns true from init_plugin, and 0.3 s later a thread it left running
 * calls exit(0): the host ends as if it had finished. Built with -DSTOP, the
 * thread stops the whole process with SIGSTOP instead: the host hangs. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <time.h>
#include "plugctl.h"

static void *later(void *arg) {
    (void)arg;
    struct timespec t = {0, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
#ifdef STOP
    kill(getpid(), SIGSTOP);
#else
    exit(0);
#endif
    return NULL;
}

bool init_plugin(void *ctx, const HostFunctions *functions) {
    pthread_t t;
    if (pthread_create(&t, NULL, later, NULL) != 0) return false;
    pthread_detach(t);
#ifdef STOP
    plugin_log(functions, ctx, "started; a thread will stop the process in 0.3 s");
#else
    plugin_log(functions, ctx, "started; a thread will exit in 0.3 s");
#endif
    return true;
}
