/* Needs libplugctl_gone.so, which the build deletes after linking. */
extern int gone_function(void);
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    (void)ctx; (void)functions;
    return gone_function() == 0;
}
