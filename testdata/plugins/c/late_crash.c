/* Returns true from init_plugin, and 0.3 s later a thread it left running
 * writes through a bad pointer: a host that loaded it dies then. */
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include "plugctl.h"

/* Volatile, so the compiler cannot see that it is bad. */
static int *volatile bad_pointer = (int *)(uintptr_t)0x10;

static void *later(void *arg) {
    (void)arg;
    struct timespec t = {0, 300 * 1000 * 1000};
    nanosleep(&t, NULL);
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
