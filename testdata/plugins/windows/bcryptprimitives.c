/* Test harness only, never shipped: a stand-in for Windows 10's
 * bcryptprimitives.dll, which Wine 8 lacks. Go 1.22 and later call its
 * ProcessPrng at start-up; this one fills the buffer from RtlGenRandom
 * (advapi32's SystemFunction036), which Wine has. make test-windows copies
 * it into the private Wine prefix's system32. */
#include <windows.h>
#define SystemFunction036 NTAPI SystemFunction036
#include <ntsecapi.h>
#undef SystemFunction036

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG n = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!RtlGenRandom(data, n)) return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
