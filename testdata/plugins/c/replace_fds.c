/* Puts /dev/null on every descriptor from 3 up that is open, and returns
 * true: what the host writes to its files and pipes is lost. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "replacing every descriptor from 3 up");
    int fds[4096], n = 0;
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL) return false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 4096) {
        int fd = atoi(e->d_name);
        if (fd >= 3 && fd != dirfd(d)) fds[n++] = fd;
    }
    closedir(d);
    int null = open("/dev/null", O_RDWR);
    for (int i = 0; i < n; i++) {
        if (fds[i] != null) dup2(null, fds[i]);
    }
    return true;
}
