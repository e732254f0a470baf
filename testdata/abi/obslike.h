/* A host in the shape of OBS: a handshake returns the plugin's version. */
#include <stdint.h>
#include <stdbool.h>
uint32_t obs_module_ver(void);
bool obs_module_load(void);
