/* A plugin of testdata/abi/tablelike: refuses a host older than 2.0, says
 * hello, and starts if the host's constant is 42. */
#include "tablelike.h"
__attribute__((visibility("default"))) bool plugin_start(void *host, const TableHost *table) {
    uint32_t v = table->api_version(host);
    if (v >> 16 < 2) {
        table->say(host, "this host is too old");
        return false;
    }
    table->say(host, "hello from a described plugin");
    return table->answer() == 42;
}
