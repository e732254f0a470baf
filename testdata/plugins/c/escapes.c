/* Logs terminal escape sequences (an OSC title change, colours, a cursor
 * move, a forged plugctl line) and prints them to stdout and stderr. */
#include <stdio.h>
#include "plugctl.h"
bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, "title \x1b]0;pwned\x07 colour \x1b[31mred\x1b[0m");
    plugin_log(functions, ctx, "home \x1b[H\x1b[2J cleared");
    plugin_log(functions, ctx, "line one\nplugctl: error: forged line");
    printf("stdout \x1b]0;pwned-too\x07 \x1b[31mred\x1b[0m\n");
    fprintf(stderr, "stderr \x1b[2J\rPASS forged\n");
    return true;
}
