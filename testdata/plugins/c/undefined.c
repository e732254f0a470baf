/* Calls a function it expects the host to export: the classic mistake of a
 * plugin linked against the host's code instead of its callback table. */
#include "plugctl.h"
extern void host_only_function(void);
bool init_plugin(void *ctx, const HostFunctions *functions) {
    (void)ctx; (void)functions;
    host_only_function();
    return true;
}
