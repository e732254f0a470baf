/* Ends its host with a Windows exception in init_plugin, one per build:
 * -DSTACK_OVERFLOW recurses without end, -DILLEGAL runs an undefined
 * instruction, -DRAISE=code raises that exception code (heap corruption
 * 0xC0000374 and a C++ exception 0xE06D7363 cannot be made to happen the
 * same way under every C runtime, so they are raised as the runtime would). */
#include <windows.h>
#include "plugctl.h"

#ifdef STACK_OVERFLOW
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static volatile int sink;
static int __attribute__((noinline)) recurse(int n) {
    volatile char pad[4096];
    pad[0] = (char)n;
    sink = recurse(n + 1) + pad[0];
    return sink;
}
#endif

PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "about to fail");
#if defined(STACK_OVERFLOW)
    return recurse(0) != 0;
#elif defined(ILLEGAL)
    __builtin_trap();
#elif defined(RAISE)
    RaiseException(RAISE, EXCEPTION_NONCONTINUABLE, 0, NULL);
#endif
    return false;
}
