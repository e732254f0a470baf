/* Windows twin of c/thread.c: two threads log numbered lines during
 * init_plugin (waited for before it returns), and a thread left running
 * logs after init_plugin has returned: 100 ms after, or THREAD_LATE_MS. */
#include <stdlib.h>
#include <stdio.h>
#include <windows.h>
#include "plugctl.h"

#define LINES 200

static void *g_ctx;
static const HostFunctions *g_functions;

static DWORD WINAPI count(LPVOID arg) {
    const char *who = arg;
    char line[32];
    for (int i = 0; i < LINES; i++) {
        snprintf(line, sizeof line, "%s %d", who, i);
        plugin_log(g_functions, g_ctx, line);
    }
    return 0;
}

static DWORD WINAPI later(LPVOID arg) {
    (void)arg;
    const char *env = getenv("THREAD_LATE_MS");
    Sleep(env ? (DWORD)atol(env) : 100);
    plugin_log(g_functions, g_ctx, "late: logged from a detached thread after init_plugin returned");
    return 0;
}

PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    g_ctx = ctx;
    g_functions = functions;
    HANDLE t[2] = {CreateThread(NULL, 0, count, "A", 0, NULL), CreateThread(NULL, 0, count, "B", 0, NULL)};
    if (t[0] == NULL || t[1] == NULL) return false;
    WaitForMultipleObjects(2, t, TRUE, INFINITE);
    CloseHandle(t[0]);
    CloseHandle(t[1]);
    HANDLE c = CreateThread(NULL, 0, later, NULL, 0, NULL);
    if (c == NULL) return false;
    CloseHandle(c);
    plugin_log(functions, ctx, "init done; a thread will log later");
    return true;
}
