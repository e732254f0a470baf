/* Windows twin of c/late_crash.c: returns true from init_plugin, and 0.3 s
 * later a thread it left running writes through a bad pointer. */
#include <stdint.h>
#include <windows.h>
#include "plugctl.h"

static int *volatile bad_pointer = (int *)(uintptr_t)0x10;

static DWORD WINAPI later(LPVOID arg) {
    (void)arg;
    Sleep(300);
    *bad_pointer = 1;
    return 0;
}

PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    HANDLE t = CreateThread(NULL, 0, later, NULL, 0, NULL);
    if (t == NULL) return false;
    CloseHandle(t);
    plugin_log(functions, ctx, "started; a thread will crash in 0.3 s");
    return true;
}
