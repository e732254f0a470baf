/* Logs with a length of SIZE_MAX (its buffer holds 128 KiB), then starts. */
#include <stdint.h>
#include <string.h>
#include "plugctl.h"
static uint8_t big[128 * 1024];
bool init_plugin(void *ctx, const HostFunctions *functions) {
    memset(big, 'x', sizeof big);
    functions->log(ctx, big, SIZE_MAX);
    return true;
}
