/* Closes every descriptor from 3 up, as daemon code does before it starts
 * (closefrom), and returns true: the host's files, sockets and pipes are
 * gone. */
#define _GNU_SOURCE
#include <unistd.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "closing every descriptor from 3 up");
    closefrom(3);
    return true;
}
