/* Ends the whole process with exit(0) inside init_plugin: a host must not take
 * the status for success. */
#include <stdio.h>
#include <stdlib.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "leaving");
    printf("goodbye from exit0\n"); /* buffered: exit() flushes it */
    exit(0);
}
