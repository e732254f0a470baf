/* Needs libplugmid.so (found through its RUNPATH), which needs
 * libplugctl_gone.so, which is not installed anywhere. */
#include "plugctl.h"
extern int mid_function(void);
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    (void)ctx; (void)functions;
    return mid_function() == 0;
}
