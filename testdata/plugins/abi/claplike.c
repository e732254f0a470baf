/* A plugin of testdata/abi/claplike: its entry struct says it was built for
 * MAJOR.MINOR (-D flags); init prints the path it was given and starts.
 * With -DREFUSE init returns false, with -DCRASH it writes through a bad
 * pointer, with -DNOINIT the struct has no init. */
#include <stdio.h>
#include "claplike.h"
#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif
#ifdef CRASH
static int *volatile bad_pointer = (int *)16;
#endif
static bool init(const char *plugin_path) {
    printf("init(%s)\n", plugin_path ? plugin_path : "NULL");
#ifdef CRASH
    *bad_pointer = 1;
#endif
#ifdef REFUSE
    return false;
#else
    return true;
#endif
}
static void deinit(void) {}
static const void *get_factory(const char *id) { (void)id; return NULL; }
#ifdef NOINIT
#define INIT NULL
#else
#define INIT init
#endif
EXPORT const clap_plugin_entry_t clap_entry = {{MAJOR, MINOR, 0}, INIT, deinit, get_factory};
