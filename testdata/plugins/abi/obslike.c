/* A plugin of testdata/abi/obslike: built for 27.1. */
#include "obslike.h"
__attribute__((visibility("default"))) uint32_t obs_module_ver(void) { return 27u << 24 | 1u << 16; }
__attribute__((visibility("default"))) bool obs_module_load(void) { return true; }
