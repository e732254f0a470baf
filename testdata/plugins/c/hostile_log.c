/* Misuses the log callback in every way the host must survive, then starts
 * normally. */
#include <stdint.h>
#include "plugctl.h"

static uint8_t big[128 * 1024];

bool init_plugin(void *ctx, const HostFunctions *functions) {
    functions->log(ctx, NULL, 10);                       /* NULL with a length */
    functions->log(ctx, NULL, 0);                        /* NULL, empty: fine */
    for (size_t i = 0; i < sizeof big; i++) big[i] = 'x';
    functions->log(ctx, big, SIZE_MAX);                  /* absurd length */
    plugin_log(functions, ctx, "bad \xff\xfe utf8");
    plugin_log(functions, ctx, "title \x1b]0;pwned\x07 colour \x1b[31mred\x1b[0m");
    plugin_log(functions, ctx, "line one\nplugctl: error: forged line");
    plugin_log(functions, ctx, "bidi \xe2\x80\xae reversed");
    functions->log((void *)0x1, (const uint8_t *)"unknown ctx", 11);
    if (functions->get_version((void *)0) != PLUGIN_API_VERSION) return false;
    plugin_log(functions, ctx, "still alive");
    return true;
}
