package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/plugctl/plugctl/internal/sandbox"
	"github.com/plugctl/plugctl/internal/worker"
	"github.com/spf13/pflag"
)

// isolation holds the flags of the commands that run plugins in workers.
type isolation struct {
	timeout  time.Duration
	cpuLimit optionalDuration
	memory   string
	env      []string
	settle   time.Duration
	// --sandbox (strict, best-effort; "" without), --sandbox-read,
	// --sandbox-write.
	sandbox                   string
	sandboxRead, sandboxWrite []string
}

const (
	defaultTimeout = 30 * time.Second
	// defaultSettle is how long a plugin that left a thread, a process, a
	// signal handler or a timer behind is watched after init_plugin
	// returned. Long enough for the common "crash a moment later"; a plugin
	// that leaves nothing running is final at once, so good plugins never
	// wait for it.
	defaultSettle = 500 * time.Millisecond
	defaultMemory = "4GiB"
	outputLimit   = 64 << 10 // bytes of a plugin's stdout, and of its stderr, kept
	// minMemory is the least --memory-limit: an idle worker reserves about
	// 2 GiB of address space (VmPeak 2,146,388 kB on Linux: its runtime's
	// reservations, its threads' stacks and the C library's malloc arenas),
	// so at 2GiB one could die of "out of memory" before loading a plugin.
	minMemory = 3 << 30
)

func (o *isolation) flags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.timeout, "timeout", defaultTimeout, "time one plugin may take to load and return from init_plugin before its worker is killed (0: no limit)")
	fs.Var(&o.cpuLimit, "cpu-limit", "CPU time one plugin may use (default: the --timeout; 0: no limit)")
	fs.StringVar(&o.memory, "memory-limit", defaultMemory, "address space of a worker process (Unix; on Windows its committed memory), like 4GiB; at least 3GiB (0: no limit)")
	fs.StringArrayVar(&o.env, "env", nil, "set NAME=VALUE, or pass NAME through, in the workers' environment (repeatable)")
	fs.StringVar(&o.sandbox, "sandbox", "", "confine the workers (Linux): no network, files limited to the plugins, their libraries and a scratch TMPDIR, dangerous system calls denied; --sandbox=best-effort applies what this system has")
	fs.Lookup("sandbox").NoOptDefVal = string(sandbox.Strict)
	fs.StringArrayVar(&o.sandboxRead, "sandbox-read", nil, "let sandboxed plugins read (and execute) PATH too (repeatable)")
	fs.StringArrayVar(&o.sandboxWrite, "sandbox-write", nil, "let sandboxed plugins write PATH too (repeatable)")
	fs.DurationVar(&o.settle, "settle", defaultSettle, "how long a plugin that left threads, processes, signal handlers or timers running is watched after init_plugin returns before its pass is final (0: check once, at once)")
}

// config checks the flags and returns the worker configuration.
func (o *isolation) config() (worker.Config, time.Duration, error) {
	if o.timeout < 0 {
		return worker.Config{}, 0, usagef("invalid --timeout %v: must not be negative", o.timeout)
	}
	if o.settle < 0 {
		return worker.Config{}, 0, usagef("invalid --settle %v: must not be negative", o.settle)
	}
	cpu := o.timeout
	if o.cpuLimit.set {
		if o.cpuLimit.d < 0 {
			return worker.Config{}, 0, usagef("invalid --cpu-limit %v: must not be negative", o.cpuLimit.d)
		}
		cpu = o.cpuLimit.d
	}
	mem, err := parseSize(o.memory)
	if err != nil {
		return worker.Config{}, 0, usagef("invalid --memory-limit %q: %v", o.memory, err)
	}
	if mem != 0 && mem < minMemory {
		return worker.Config{}, 0, usagef("invalid --memory-limit %q: an idle worker reserves about 2 GiB of address space; give at least 3GiB, or 0 for no limit", o.memory)
	}
	env, err := worker.Environment(os.LookupEnv, o.env)
	if err != nil {
		return worker.Config{}, 0, usagef("invalid --env %v", err)
	}
	return worker.Config{Env: env, MaxMemory: mem, OutputLimit: outputLimit}, cpu, nil
}

// libraryPath returns LD_LIBRARY_PATH as the workers will see it.
func libraryPath(env []string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "LD_LIBRARY_PATH="); ok {
			return v
		}
	}
	return ""
}

// parseSize reads a byte count with an optional unit: 4096, 512K, 512KiB,
// 64M, 4G, 4GiB (units are powers of 1024).
func parseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "B"), "I")
	shift := 0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			shift = 10
		case 'M':
			shift = 20
		case 'G':
			shift = 30
		case 'T':
			shift = 40
		}
		if shift > 0 {
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || (shift > 0 && n > (1<<(64-shift))-1) {
		return 0, fmt.Errorf("want a size like 512MiB or 4GiB")
	}
	return n << shift, nil
}

// optionalDuration is a duration flag whose default is another flag's
// value: --help shows no default of its own rather than a sentinel.
type optionalDuration struct {
	d   time.Duration
	set bool
}

func (o *optionalDuration) String() string {
	if !o.set {
		return ""
	}
	return o.d.String()
}

func (o *optionalDuration) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	o.d, o.set = d, true
	return nil
}

func (o *optionalDuration) Type() string { return "duration" }
