//go:build linux && amd64

package synth

import (
	"errors"
	"github.com/ebitengine/purego"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/loader"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// recorder is a Handler that keeps what plugins did.
type recorder struct {
	mu    sync.Mutex
	logs  []string
	ctxs  []uintptr
	calls []string
}

func (r *recorder) log(ctx uintptr, text []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, string(text))
	r.ctxs = append(r.ctxs, ctx)
}

func (r *recorder) Log(_ string, ctx uintptr, _ bool, msg uintptr, n uint64) {
	r.log(ctx, loader.Bytes(msg, int(n)))
}

func (r *recorder) LogString(_ string, ctx uintptr, _ bool, msg uintptr) {
	r.log(ctx, loader.CString(msg, 1<<16))
}

func (r *recorder) Called(name string, _ uintptr, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, name)
}

func (r *recorder) Version(name string, ctx uintptr, hasCtx bool) (uint64, bool) {
	r.Called(name, ctx, hasCtx)
	return 0, false
}

func (r *recorder) Record(name string, _ uintptr, _ bool, call string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

func (*recorder) Fault(uintptr, any) {}

func load(t *testing.T, name string) *abi.Description {
	t.Helper()
	d, err := abi.Load(filepath.Join("..", "..", "testdata", "abi", name), abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func open(t *testing.T, name string) (*loader.Library, string) {
	t.Helper()
	path := testplugins.Path(t, filepath.Join("abi", name))
	l, err := loader.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return l, path
}

func version(t *testing.T, s string) abi.Version {
	v, err := abi.ParseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// Each way of agreeing on a version, run: the host accepts or refuses by
// the description's rule, and calls the entry point as described.
func TestStart(t *testing.T) {
	for _, c := range []struct {
		desc, plugin, host string
		started            bool
		refused            string // the start of the Refused error, or "no entry point"
		logs               string
	}{
		// A callback table of its own names: the plugin asks the version.
		{"tablelike.toml", "libtable.so", "2.0", true, "", "hello from a described plugin"},
		{"tablelike.toml", "libtable.so", "1.0", false, "", "this host is too old"},
		// A descriptor in the plugin's memory, its entry point a member.
		{"gstlike.toml", "libgst_1_2.so", "1.4", true, "", ""},
		{"gstlike.toml", "libgst_1_2.so", "1.0", false, "built for version 1.2 (gst_plugin_desc.major_version and .minor_version); the host speaks 1.0", ""},
		{"gstlike.toml", "libgst_2_0.so", "1.4", false, "built for version 2.0", ""},
		// A handshake.
		{"obslike.toml", "libobs.so", "27.1", true, "", ""},
		{"obslike.toml", "libobs.so", "28.0", false, "built for version 27.1 (obs_module_ver() returned it); the host speaks 28.0", ""},
		// The version in the symbol's name; the entry returns 0 on success.
		{"vlclike.toml", "libvlc_3_0.so", "3.0", true, "", ""},
		{"vlclike.toml", "libvlc_3_0.so", "4.0", false, "no entry point", ""},
	} {
		name := c.plugin + " on " + c.desc + " " + c.host
		rec := &recorder{}
		d := load(t, c.desc)
		h, err := New(d, rec)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lib, path := open(t, c.plugin)
		started, err := h.Start(lib, path, 0xC0FFEE, version(t, c.host))
		var refused *Refused
		switch {
		case c.refused == "no entry point" && !errors.Is(err, ErrNoEntry):
			t.Errorf("%s: %v, want no entry point", name, err)
		case c.refused != "" && c.refused != "no entry point" && (!errors.As(err, &refused) || !strings.HasPrefix(err.Error(), c.refused)):
			t.Errorf("%s: %v, want %q", name, err, c.refused)
		case c.refused == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case started != c.started:
			t.Errorf("%s: started %v, want %v", name, started, c.started)
		}
		if got := strings.Join(rec.logs, "\n"); got != c.logs {
			t.Errorf("%s: logs %q, want %q", name, got, c.logs)
		}
		for _, ctx := range rec.ctxs {
			if ctx != 0xC0FFEE {
				t.Errorf("%s: a log with context %#x", name, ctx)
			}
		}
	}
}

// The table is made once per process and description: a second host of the
// same description reuses its callbacks, and speaks its own version.
func TestTableMadeOnce(t *testing.T) {
	d := load(t, "tablelike.toml")
	a, err := New(d, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	b, err := New(d, rec)
	if err != nil || a != b {
		t.Fatalf("a second host: %v, same %v", err, a == b)
	}
	lib, path := open(t, "libtable.so")
	if started, err := b.Start(lib, path, 1, version(t, "1.0")); err != nil || started {
		t.Errorf("version 1.0: started %v, %v", started, err)
	}
	if len(rec.calls) == 0 || rec.calls[0] != "api_version" {
		t.Errorf("calls %v", rec.calls)
	}
}

// A table that carries its size and version has them filled, and both
// follow the host version of each Start; a member a later version added is
// NULL in the table an earlier version's host passes.
func TestTableSizeAndVersion(t *testing.T) {
	dir := t.TempDir()
	header := `#include <stdint.h>
typedef struct T {
    uint32_t size;
    uint32_t version;
    void (*log)(void *ctx, const char *text);
    void (*extra)(void *ctx);
} T;
int start(void *ctx, const T *t);
`
	toml := `name = "sized"
header = "sized.h"
versions = ["1", "2"]
[entry]
symbol = "start"
args = ["context", "table"]
success = "zero"
[version]
exchange = "descriptor"
symbol = "plugin_version"
field = "v"
[table]
type = "T"
size = "size"
version = "version"
[table.members]
"1" = 3
[callbacks.log]
does = "log"
context = "ctx"
message = "text"
[callbacks.extra]
does = "record"
context = "ctx"
`
	if err := os.WriteFile(filepath.Join(dir, "sized.h"), []byte(header+"typedef struct { uint32_t v; } V;\nextern const V plugin_version;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sized.toml"), []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "libsized.so")
	testplugins.BuildC(t, lib, `#include <stdio.h>
#include "sized.h"
__attribute__((visibility("default"))) const V plugin_version = {1};
__attribute__((visibility("default"))) int start(void *ctx, const T *t) {
    char b[64];
    snprintf(b, sizeof b, "size %u version %u extra %s", t->size, t->version, t->extra ? "set" : "NULL");
    t->log(ctx, b);
    return 0;
}
`, "-I"+dir)
	d, err := abi.Load(filepath.Join(dir, "sized.toml"), abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	h, err := New(d, rec)
	if err != nil {
		t.Fatal(err)
	}
	l, err := loader.Open(lib)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := h.Start(l, lib, 5, version(t, "1")); !ok || err != nil {
		t.Fatalf("start: %v %v", ok, err)
	}
	// The plugin was built for 1 and the rule is exact: refused by a host
	// of 2, but the table already says 2.
	if _, err := h.Start(l, lib, 5, version(t, "2")); err == nil {
		t.Error("version 2 accepted a plugin built for 1")
	}
	if got := strings.Join(rec.logs, "|"); got != "size 16 version 1 extra NULL" {
		t.Errorf("logs %q", got)
	}
	if b := h.table[4:8]; b[0] != 2 {
		t.Errorf("the table's version member after a Start as version 2: %v", b)
	}
	if b := h.table[0:4]; b[0] != 24 {
		t.Errorf("the table's size member after a Start as version 2: %v", b)
	}
	if loader.Pointer(uintptr(unsafe.Pointer(&h.table[16]))) == 0 {
		t.Error("version 2's table has no extra callback")
	}
}

// A record callback's calls are told as C would write them: pointers in
// hex (NULL by name), signed and unsigned integers of every width, and
// floating-point numbers.
func TestCallText(t *testing.T) {
	m := abi.Member{Name: "note", Params: []abi.Param{
		{Size: 8, Pointer: true}, {Size: 8, Pointer: true}, {Size: 1, Signed: true}, {Size: 2, Signed: true},
		{Size: 4, Signed: true}, {Size: 8, Signed: true}, {Size: 4}, {Size: 8, Float: true}, {Size: 4, Float: true},
	}}
	args := []uint64{0, 0x7f00, 0xff, 0xfffe, 0xfffffffd, 1 << 63, 0xffffffff, math.Float64bits(1.5), math.Float64bits(-0.25)}
	want := "note(NULL, 0x7f00, -1, -2, -3, -9223372036854775808, 4294967295, 1.5, -0.25)"
	if got := callText(m, args, -1); got != want {
		t.Errorf("callText = %q, want %q", got, want)
	}
	want = "note(ctx" + strings.TrimPrefix(want, "note(NULL")
	if got := callText(m, args, 0); got != want {
		t.Errorf("callText = %q, want %q", got, want)
	}
}

// A plugin's thread that an earlier plugin left running can call the host's
// callbacks while the next plugin's host is made and started: the handler
// and the version they read are never torn (make test-race runs this with
// the race detector, which found both when they were plain fields).
func TestCallbacksRaceFreeWithNewAndStart(t *testing.T) {
	d := load(t, "tablelike.toml")
	h, err := New(d, &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	fn := uintptr(0)
	for i, m := range h.Layout().Members {
		if m.Name == "api_version" {
			fn = h.fns[i]
		}
	}
	if fn == 0 {
		t.Fatal("no api_version callback")
	}
	lib, path := open(t, "libtable.so")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			purego.SyscallN(fn, 1) // the recorder declines: the host's own version
		}
	}()
	for range 50 {
		if _, err := New(d, &recorder{}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Start(lib, path, 1, version(t, "2.0")); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if got := h.encoded(); got != d.Exchange.Encode(version(t, "2.0")) {
		t.Errorf("version %#x after the last Start", got)
	}
}
