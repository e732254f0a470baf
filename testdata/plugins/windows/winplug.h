/* Helpers for the Windows test plugins: start sleeper.exe, which sits beside
 * the plugin, and write process IDs to the file PLUGCTL_PID_FILE names, as
 * the Unix fixtures do ("CHILD HOST\n"). */
#include <stdio.h>
#include <stdlib.h>
#include <windows.h>

static DWORD start_sleeper(void) {
    HMODULE self = NULL;
    char path[MAX_PATH];
    if (!GetModuleHandleExA(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCSTR)(void *)start_sleeper, &self))
        return 0;
    DWORD n = GetModuleFileNameA(self, path, sizeof path);
    if (n == 0 || n >= sizeof path) return 0;
    char *slash = strrchr(path, '\\');
    if (slash == NULL || (size_t)(slash - path) + sizeof "\\sleeper.exe" > sizeof path) return 0;
    strcpy(slash, "\\sleeper.exe");
    STARTUPINFOA si = {.cb = sizeof si};
    PROCESS_INFORMATION pi;
    if (!CreateProcessA(path, NULL, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &si, &pi)) return 0;
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return pi.dwProcessId;
}

static void write_pids(DWORD child) {
    const char *file = getenv("PLUGCTL_PID_FILE");
    if (file == NULL || child == 0) return;
    FILE *f = fopen(file, "w");
    if (f == NULL) return;
    fprintf(f, "%lu %lu\n", (unsigned long)child, (unsigned long)GetCurrentProcessId());
    fclose(f);
}
