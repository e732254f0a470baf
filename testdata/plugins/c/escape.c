/* A probe of the sandbox: init_plugin tries what environment variables ask
 * and logs, for each, "NAME: ok" or "NAME: <the error>", then returns true
 * (its verdict is pass either way: the logs say what it could do).
 *   ESCAPE_WRITE=PATH    create PATH and write to it
 *   ESCAPE_READ=PATH     open PATH and read from it
 *   ESCAPE_TMP=NAME      create $TMPDIR/NAME and write to it
 *   ESCAPE_CONNECT=PORT  connect to 127.0.0.1:PORT over TCP
 *   ESCAPE_SYSTEM=CMD    run CMD with system()
 *   ESCAPE_VMREAD=1      read its own memory with process_vm_readv (one of
 *                        the system calls the sandbox's seccomp filter denies)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "plugctl.h"

static void report(const HostFunctions *f, void *ctx, const char *what, int ok, int err) {
    char line[256];
    snprintf(line, sizeof line, "%s: %s", what, ok ? "ok" : strerror(err));
    plugin_log(f, ctx, line);
}

static int write_file(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    int n = (int)write(fd, "escaped\n", 8);
    close(fd);
    return n == 8 ? 0 : -1;
}

bool init_plugin(void *ctx, const HostFunctions *functions) {
    const char *v;
    if ((v = getenv("ESCAPE_WRITE")) != NULL) {
        int r = write_file(v);
        report(functions, ctx, "write", r == 0, errno);
    }
    if ((v = getenv("ESCAPE_READ")) != NULL) {
        char buf[16];
        int fd = open(v, O_RDONLY);
        int ok = fd >= 0 && read(fd, buf, sizeof buf) >= 0;
        report(functions, ctx, "read", ok, errno);
        if (fd >= 0) close(fd);
    }
    if ((v = getenv("ESCAPE_TMP")) != NULL) {
        const char *tmp = getenv("TMPDIR");
        char path[512];
        snprintf(path, sizeof path, "%s/%s", tmp ? tmp : "/tmp", v);
        int r = write_file(path);
        report(functions, ctx, "tmp", r == 0, errno);
    }
    if ((v = getenv("ESCAPE_CONNECT")) != NULL) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        int ok = 0, err = errno;
        if (s >= 0) {
            struct sockaddr_in a = {0};
            a.sin_family = AF_INET;
            a.sin_port = htons((unsigned short)atoi(v));
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
            err = errno;
            close(s);
        }
        report(functions, ctx, "connect", ok, err);
    }
    if ((v = getenv("ESCAPE_SYSTEM")) != NULL) {
        int st = system(v);
        char what[64];
        snprintf(what, sizeof what, "system: exit status %d", st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        /* Its status says how it went, not errno. */
        plugin_log(functions, ctx, st == 0 ? "system: ok" : what);
    }
    if (getenv("ESCAPE_VMREAD") != NULL) {
        static const char src[8] = "memory";
        char dst[8];
        struct iovec local = {dst, sizeof dst}, remote = {(void *)src, sizeof src};
        ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
        report(functions, ctx, "process_vm_readv", n == (ssize_t)sizeof src, errno);
    }
    return true;
}
