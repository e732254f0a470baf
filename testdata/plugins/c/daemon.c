/* Starts a daemon the classic way (fork, setsid, fork) and returns true: the
 * daemon has left the host's process group and session, and runs on. With
 * PLUGCTL_PID_FILE set, the daemon writes its process ID there. Built with
 * -DCRASH_LATER, a thread it leaves then crashes the host 0.2 s later, so
 * the daemon outlives the process that loaded the plugin. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "plugctl.h"

/* Volatile, so the compiler cannot see that it is bad. */
static int *volatile bad_pointer = (int *)(uintptr_t)0x10;

#ifdef CRASH_LATER
static void *later(void *arg) {
    (void)arg;
    struct timespec t = {0, 200 * 1000 * 1000};
    nanosleep(&t, NULL);
    *bad_pointer = 1;
    return NULL;
}
#endif

bool init_plugin(void *ctx, const HostFunctions *functions) {
    /* The daemon says on this pipe that it has written its process ID, so
     * the file is there when init_plugin returns. */
    int ready[2];
    if (pipe(ready) != 0) return false;
    pid_t first = fork();
    if (first < 0) return false;
    if (first == 0) {
        close(ready[0]);
        setsid();
        /* Known before the fork: read by the daemon with getppid(), it is
         * the host's ID whenever the intermediate process has exited
         * first, and the daemon waited out the whole loop below (5 s: a
         * timeout in about one run of five). */
        pid_t intermediate = getpid();
        pid_t second = fork();
        if (second != 0) _exit(second < 0 ? 1 : 0);
        /* The process ID goes out once the daemon is the host's (the
         * intermediate process gone): a test that walks up from it to the
         * host then finds the host, not the intermediate process. */
        for (int i = 0; i < 5000 && getppid() == intermediate; i++) {
            struct timespec t = {0, 1000 * 1000};
            nanosleep(&t, NULL);
        }
        const char *file = getenv("PLUGCTL_PID_FILE");
        if (file != NULL) {
            FILE *f = fopen(file, "a");
            if (f != NULL) {
                fprintf(f, "%d\n", (int)getpid());
                fclose(f);
            }
        }
        (void)!write(ready[1], "r", 1);
        close(ready[1]);
        for (;;) pause();
    }
    close(ready[1]);
    waitpid(first, NULL, 0);
    char c;
    (void)!read(ready[0], &c, 1);
    close(ready[0]);
#ifdef CRASH_LATER
    pthread_t t;
    if (pthread_create(&t, NULL, later, NULL) != 0) return false;
    pthread_detach(t);
#endif
    plugin_log(functions, ctx, "started a daemon");
    return true;
}
