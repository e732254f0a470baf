/* A plugin of testdata/abi/vlclike: exports vlc_entry__NAME (-DNAME=3_0). */
#include "vlclike.h"
#define CAT(a, b) a##b
#define ENTRY(v) CAT(vlc_entry__, v)
__attribute__((visibility("default"))) int ENTRY(NAME)(vlc_set_cb set, void *opaque) {
    (void)set;
    (void)opaque;
    return 0;
}
