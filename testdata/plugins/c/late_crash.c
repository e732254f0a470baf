/* Returns true from init_plugin, and 0.3 s later a thread it left running
 * writes through a bad pointer: a host that loaded it dies then.
 *
 * Built with -DONCE it crashes only the first time: when the file named by
 * PLUGCTL_ONCE_MARKER exists, its thread ends quietly instead; it creates
 * the file when it crashes. A crash that cannot be reproduced. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "plugctl.h"

/* Volatile, so the compiler cannot see that it is bad. */
static int *volatile bad_pointer = (int *)(uintptr_t)0x10;

static void *later(void *arg) {
    (void)arg;
    struct timespec t = {0, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
#ifdef ONCE
    const char *marker = getenv("PLUGCTL_ONCE_MARKER");
    if (marker == NULL || access(marker, F_OK) == 0) return NULL;
    FILE *f = fopen(marker, "w");
    if (f != NULL) fclose(f);
#endif
    *bad_pointer = 1;
    return NULL;
}

bool init_plugin(void *ctx, const HostFunctions *functions) {
    pthread_t t;
    if (pthread_create(&t, NULL, later, NULL) != 0) return false;
    pthread_detach(t);
    plugin_log(functions, ctx, "started; a thread will crash in 0.3 s");
    return true;
}
