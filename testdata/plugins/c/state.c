/* Changes one part of the process state a host shares with its plugins, as
 * chosen at build time with -DSTATE_<name>, and returns true. "meddle" makes
 * the changes of a plugin that sets itself up like a program: chdir("/"), a
 * SIGSEGV handler, SIGPIPE ignored, stdin closed. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "plugctl.h"

#if defined(STATE_sigsegv) || defined(STATE_meddle)
static void on_fault(int sig) {
    (void)sig;
    _exit(3);
}

static void install_fault_handler(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_fault; /* no SA_ONSTACK */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
}
#endif

bool init_plugin(void *ctx, const HostFunctions *functions) {
#if defined(STATE_chdir) || defined(STATE_meddle)
    if (chdir("/") != 0) return false;
#endif
#ifdef STATE_umask
    umask(077);
#endif
#if defined(STATE_sigsegv) || defined(STATE_meddle)
    install_fault_handler();
#endif
#if defined(STATE_sigpipe) || defined(STATE_meddle)
    signal(SIGPIPE, SIG_IGN);
#endif
#ifdef STATE_sigchld
    signal(SIGCHLD, SIG_IGN);
#endif
#ifdef STATE_sigmask
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
#endif
#ifdef STATE_env
    setenv("PLUGCTL_PLUGIN_WAS_HERE", "1", 1);
#endif
#ifdef STATE_locale
    if (setlocale(LC_ALL, "C.UTF-8") == NULL) return false;
#endif
#ifdef STATE_rlimit
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = 256;
    setrlimit(RLIMIT_NOFILE, &r);
#endif
#ifdef STATE_fd
    if (open("/dev/null", O_RDONLY) < 0) return false; /* kept, not close-on-exec */
#endif
#ifdef STATE_alarm
    alarm(3600);
#endif
#if defined(STATE_stdin) || defined(STATE_meddle)
    close(0);
#endif
#ifdef STATE_stdout
    int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 1) < 0) return false;
    close(null);
#endif
    plugin_log(functions, ctx, "changed the host's state");
    return true;
}
