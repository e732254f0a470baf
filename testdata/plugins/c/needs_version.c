/* Needs verdep_new@VERDEP_2, which the libverdep.so deployed beside it
 * (deps/ver1) does not define. */
#include "plugctl.h"
extern int verdep_new(void);
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    (void)ctx; (void)functions;
    return verdep_new() == 2;
}
