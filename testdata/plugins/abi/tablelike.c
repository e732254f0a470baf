/* A plugin of testdata/abi/tablelike: refuses a host older than 2.0, says
 * hello (with TABLE_HOSTILE set, with escape sequences and a bell in it;
 * with TABLE_FORGE set, through a context the host never gave it), and
 * starts if the host's constant is 42, after a call the host records. */
#include <stdlib.h>
#include "tablelike.h"
#ifdef _WIN32
#define EXPORT __declspec(dllexport)
#else
#define EXPORT __attribute__((visibility("default")))
#endif
EXPORT bool plugin_start(void *host, const TableHost *table) {
    uint32_t v = table->api_version(host);
    if (v >> 16 < 2) {
        table->say(host, "this host is too old");
        return false;
    }
    if (getenv("TABLE_FORGE"))
        host = (void *)0x1234;
    table->say(host, getenv("TABLE_HOSTILE") ? "\x1b[31mred\x1b[0m\a hello" : "hello from a described plugin");
    table->note(host, -2, "tag");
    return table->answer() == 42;
}
