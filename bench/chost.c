/* The baseline for `make bench`: the least a C host can do to start a plugin,
 * dlopen + dlsym + init_plugin with a two-callback table, printing the log
 * lines. plugctl load is measured against it in the same run. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct HostFunctions {
    uint32_t (*get_version)(void *ctx);
    void (*log)(void *ctx, const uint8_t *message, size_t message_len);
} HostFunctions;

static uint32_t get_version(void *ctx) { (void)ctx; return 1; }
static void log_line(void *ctx, const uint8_t *message, size_t len) {
    (void)ctx;
    printf("[plugin] %.*s\n", (int)len, (const char *)message);
}
static const HostFunctions table = {get_version, log_line};

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: chost PLUGIN\n"); return 2; }
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) { fprintf(stderr, "chost: %s\n", dlerror()); return 1; }
    bool (*init)(void *, const HostFunctions *) = (bool (*)(void *, const HostFunctions *))dlsym(h, "init_plugin");
    if (!init) { fprintf(stderr, "chost: no init_plugin\n"); return 1; }
    bool ok = init((void *)1, &table);
    printf("%s\n", ok ? "loaded" : "failed");
    return ok ? 0 : 1;
}
