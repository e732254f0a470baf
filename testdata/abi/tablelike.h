/* A host that passes an opaque handle and a table of callbacks, and whose
 * plugins ask its version: plugctl's own pattern, with other names, a
 * NUL-terminated log, a constant and a call the host records. */
#include <stdint.h>
#include <stdbool.h>

typedef struct TableHost {
    uint32_t (*api_version)(void *host);  /* major << 16 | minor */
    void (*say)(void *host, const char *text);
    int32_t (*answer)(void);
    void (*note)(void *host, int32_t level, const char *tag);
} TableHost;

bool plugin_start(void *host, const TableHost *table);
