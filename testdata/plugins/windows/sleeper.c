/* A program the Windows test plugins start as a child process: it waits
 * forever, so a host that does not end what a plugin started leaks it. */
#include <windows.h>
int main(void) {
    Sleep(INFINITE);
    return 0;
}
