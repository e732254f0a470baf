/* Writes 8 MiB straight to fd 1 and logs 5000 lines, then starts. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    static char block[64 * 1024];
    memset(block, 'F', sizeof block);
    for (int i = 0; i < 128; i++) {
        size_t done = 0;
        while (done < sizeof block) {
            ssize_t n = write(1, block + done, sizeof block - done);
            if (n <= 0) return false;
            done += (size_t)n;
        }
    }
    char line[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof line, "flood %d", i);
        plugin_log(functions, ctx, line);
    }
    return true;
}
