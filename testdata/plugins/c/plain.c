/* A plain v1 plugin written against the ABI alone: no SDK header, no
 * manifest. Plugin authors do this; it must keep loading unchanged. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct HostFunctions {
    uint32_t (*get_version)(void *ctx);
    void (*log)(void *ctx, const uint8_t *message, size_t message_len);
} HostFunctions;

__attribute__((visibility("default"))) bool init_plugin(void *ctx, const HostFunctions *functions) {
    if (functions->get_version(ctx) < 1) return false;
    const char *msg = "hello from a plain C plugin";
    functions->log(ctx, (const uint8_t *)msg, strlen(msg));
    return true;
}
