/* Puts /dev/null on descriptors 3 and 4 and returns true: a plugin that
 * assumes those are free (or its own) and redirects them. */
#include <fcntl.h>
#include <unistd.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    int null = open("/dev/null", O_RDWR);
    if (null < 0) return false;
    dup2(null, 3);
    dup2(null, 4);
    if (null != 3 && null != 4) close(null);
    plugin_log(functions, ctx, "put /dev/null on descriptors 3 and 4");
    return true;
}
