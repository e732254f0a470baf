/* Its constructor appends a line to the file $PLUGCTL_CTOR_MARKER names: the
 * tests use it to prove that inspect and list never run plugin code, and to
 * count how often the constructor ran. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "plugctl.h"
__attribute__((constructor)) static void mark(void) {
    const char *path = getenv("PLUGCTL_CTOR_MARKER");
    if (path != NULL) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            (void)!write(fd, "constructor\n", 12);
            close(fd);
        }
    }
}
PLUGIN_MANIFEST("ctor-marker", "1.0.0");
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "constructor ran before init");
    return true;
}
