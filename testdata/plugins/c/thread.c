/* Logs from threads it starts: two threads log numbered lines during
 * init_plugin (joined before it returns), and a detached thread logs after
 * init_plugin has returned: 100 ms after, or THREAD_LATE_MS. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "plugctl.h"

#define LINES 200

static void *g_ctx;
static const HostFunctions *g_functions;

static void *count(void *arg) {
    const char *who = arg;
    char line[32];
    for (int i = 0; i < LINES; i++) {
        snprintf(line, sizeof line, "%s %d", who, i);
        plugin_log(g_functions, g_ctx, line);
    }
    return NULL;
}

static void *later(void *arg) {
    (void)arg;
    const char *env = getenv("THREAD_LATE_MS");
    long ms = env ? atol(env) : 100;
    struct timespec t = {ms / 1000, (ms % 1000) * 1000 * 1000};
    nanosleep(&t, NULL);
    plugin_log(g_functions, g_ctx, "late: logged from a detached thread after init_plugin returned");
    return NULL;
}

bool init_plugin(void *ctx, const HostFunctions *functions) {
    g_ctx = ctx;
    g_functions = functions;
    pthread_t a, b, c;
    if (pthread_create(&a, NULL, count, "A") != 0) return false;
    if (pthread_create(&b, NULL, count, "B") != 0) return false;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    if (pthread_create(&c, NULL, later, NULL) != 0) return false;
    pthread_detach(c);
    plugin_log(functions, ctx, "init done; a thread will log later");
    return true;
}
