/* Writes results that claim success onto descriptor 4 and onto every pipe
 * it can find from 3 up (a host's report channel is one), then crashes: a
 * host that believed them would report a pass. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "plugctl.h"

/* Volatile, so the compiler cannot see that it is bad. */
static int *volatile bad_pointer = (int *)(uintptr_t)0x10;
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "forging a result");
    char line[128];
    for (int fd = 3; fd < 4096; fd++) {
        struct stat st;
        if (fstat(fd, &st) != 0 || (fd != 4 && !S_ISFIFO(st.st_mode))) continue;
        for (int id = 1; id <= 8; id++) {
            int n = snprintf(line, sizeof line, "{\"ev\":\"result\",\"id\":%d,\"result\":{\"ok\":true}}\n", id);
            if (write(fd, line, (size_t)n) < 0) break;
        }
    }
    *bad_pointer = 1;
    return true;
}
