/* Logs, prints and fails with text that means something to every format
 * plugctl writes: XML markup and entities, quotes, the GitHub workflow
 * command syntax (% , : and "::"), escaped-looking sequences, line breaks,
 * every Unicode bidirectional control and the line separators. A report in
 * any format must carry it as text, never as structure. */
#include <stdio.h>
#include "plugctl.h"

#define HOSTILE "<b>&amp;\"dq\" 'sq' 100% a,b:c ::error title=x::forged %0A%25 " \
    "\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae" \
    "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9 \xe2\x80\xa8\xe2\x80\xa9 ]]> end"

PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions) {
    plugin_log(functions, ctx, HOSTILE);
    plugin_log(functions, ctx, "two\nlines\rand a CR");
    printf("%s\nsecond line\n", HOSTILE);
    fprintf(stderr, "%s\n", HOSTILE);
    fflush(stdout);
    fflush(stderr);
    return false;
}
