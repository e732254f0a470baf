/* A v1 plugin with a manifest, built for other systems as a fixture for
 * plugctl inspect and list: ELF for aarch64, i386 and big-endian PowerPC
 * (32 and 64 bit), Mach-O for x86_64 and arm64 (and a universal file of
 * both), and a Windows DLL. Built freestanding: no C library is needed. */
#include "plugctl.h"
PLUGIN_MANIFEST("cross", "2.1.0");
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    static const char msg[] = "hello from another system";
    functions->log(ctx, (const uint8_t *)msg, sizeof msg - 1);
    return true;
}
PLUGIN_EXPORT int cross_counter = 0;
#ifdef CROSS_DEP
/* Referenced as data, not called: a freestanding Mach-O has no libSystem for
 * the lazy-binding stub a call would need. */
extern int crossdep_function(void);
PLUGIN_EXPORT int (*const cross_dep)(void) = crossdep_function;
#endif
