/*
 * plugctl.h: the plugctl plugin ABI, version 1, for plugins written in C or C++.
 *
 * docs/abi.md is the contract; this header is its C rendering. A plugin
 * exports one function with C linkage:
 *
 *     PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions);
 *
 * and may declare a static manifest, which lets a host check the plugin
 * before running any of its code:
 *
 *     PLUGIN_MANIFEST("my-plugin", "1.0.0");
 *
 * Rules in short (docs/abi.md has them in full):
 *   - ctx is opaque: pass it back unchanged to every callback.
 *   - functions and the table it points to stay valid for the life of the
 *     process; the callbacks may be called from any thread, during and after
 *     init_plugin.
 *   - Strings are pointer + length, UTF-8, not NUL-terminated. The host copies
 *     what it needs before the callback returns.
 *   - Check functions->get_version(ctx) >= the version you need before
 *     using a callback added after version 1.
 *   - Return true when the plugin is ready, false to refuse (log why first).
 *   - Plugins are never unloaded.
 */
#ifndef PLUGCTL_H
#define PLUGCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The API version this header describes. */
#define PLUGIN_API_VERSION 1u

/* The host's callbacks. Later API versions only append members. */
typedef struct HostFunctions {
    /* Returns the API version the host speaks. Any thread. */
    uint32_t (*get_version)(void *ctx);
    /* Logs one line of UTF-8 text, message_len bytes, not NUL-terminated.
     * The host reads at most 64 KiB of it. Any thread; lines from one thread
     * are shown in the order they were logged. */
    void (*log)(void *ctx, const uint8_t *message, size_t message_len);
} HostFunctions;

#if defined(_WIN32) || defined(__CYGWIN__)
#define PLUGIN_EXPORT __declspec(dllexport)
#else
#define PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* The static manifest: fixed layout, no pointers, so a host can read it from
 * the file without loading it. Integers are in the target's byte order. */
#define PLUGIN_MANIFEST_MAGIC {'P', 'L', 'U', 'G', 'C', 'T', 'L', 'M'}
#define PLUGIN_MANIFEST_LAYOUT 1u
#define PLUGIN_MANIFEST_NAME_LEN 64
#define PLUGIN_MANIFEST_VERSION_LEN 32

typedef struct PluginManifest {
    uint8_t magic[8];             /* PLUGIN_MANIFEST_MAGIC */
    uint32_t layout_version;      /* PLUGIN_MANIFEST_LAYOUT */
    uint32_t api_version;         /* PLUGIN_API_VERSION the plugin was built for */
    uint32_t host_functions_size; /* sizeof(HostFunctions) as the plugin saw it */
    uint32_t flags;               /* 0; reserved */
    char name[PLUGIN_MANIFEST_NAME_LEN];       /* UTF-8, NUL-padded */
    char version[PLUGIN_MANIFEST_VERSION_LEN]; /* UTF-8, NUL-padded */
} PluginManifest;

#if defined(__cplusplus)
static_assert(sizeof(PluginManifest) == 120, "PluginManifest layout 1 is 120 bytes");
#else
_Static_assert(sizeof(PluginManifest) == 120, "PluginManifest layout 1 is 120 bytes");
#endif

/* Declares the plugin's manifest. name and version are string literals of at
 * most 63 and 31 bytes. Use it once, at file scope. */
#define PLUGIN_MANIFEST(name_, version_)                                                     \
    PLUGIN_MANIFEST_CHECK_LEN(name_, PLUGIN_MANIFEST_NAME_LEN, "plugin name is too long")      \
    PLUGIN_MANIFEST_CHECK_LEN(version_, PLUGIN_MANIFEST_VERSION_LEN, "plugin version is too long") \
    PLUGIN_EXPORT const PluginManifest plugin_manifest = {                                   \
        PLUGIN_MANIFEST_MAGIC, PLUGIN_MANIFEST_LAYOUT, PLUGIN_API_VERSION,                   \
        (uint32_t)sizeof(HostFunctions), 0u, name_, version_}

#if defined(__cplusplus)
#define PLUGIN_MANIFEST_CHECK_LEN(s, n, msg) static_assert(sizeof(s) <= (n), msg);
#else
#define PLUGIN_MANIFEST_CHECK_LEN(s, n, msg) _Static_assert(sizeof(s) <= (n), msg);
#endif

/* The entry point every plugin defines. */
PLUGIN_EXPORT bool init_plugin(void *ctx, const HostFunctions *functions);

/* Logs a NUL-terminated string: a convenience over functions->log. */
static inline void plugin_log(const HostFunctions *functions, void *ctx, const char *message) {
    size_t n = 0;
    while (message[n] != '\0') n++;
    functions->log(ctx, (const uint8_t *)message, n);
}

#ifdef __cplusplus
}
#endif

#endif /* PLUGCTL_H */
