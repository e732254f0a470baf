//go:build linux && amd64

package synth

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/loader"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// lines is the Sink of a hostapi.Host.
type lines struct {
	mu    sync.Mutex
	all   []string
	warns []string
}

func (l *lines) Log(_ *hostapi.Plugin, msg sanitize.Line) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, string(msg))
}

func (l *lines) Warn(_ *hostapi.Plugin, w hostapi.Warning) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.warns = append(l.warns, w.Kind.String()+": "+w.Detail)
}

func (l *lines) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.all...)
}

func v1(t testing.TB) *Host {
	t.Helper()
	d, err := abi.V1(abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(d, hostapi.Callbacks{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// startV1 starts a sample plugin as plugctl's own ABI: the built-in
// description, served by hostapi.
func startV1(t *testing.T, name string) (*lines, bool) {
	t.Helper()
	h := v1(t)
	path := testplugins.Path(t, name)
	lib, err := loader.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := &lines{}
	p := hostapi.NewHost(uint64(hostapi.Version), rec).Attach(name, name)
	p.BeginInit()
	defer p.EndInit()
	ok, err := h.Start(lib, path, p.Handle(), h.Description().Newest())
	if err != nil {
		t.Fatal(err)
	}
	return rec, ok
}

func TestV1InitAndCallbacks(t *testing.T) {
	rec, ok := startV1(t, "libsdk_hello.so")
	if !ok {
		t.Fatal("init_plugin returned false")
	}
	if got := rec.snapshot(); len(got) != 1 || got[0] != "hello from the C SDK; the host speaks API 1" {
		t.Errorf("logs %q", got)
	}
	// Both callbacks ran cleanly: no fault recorded against the plugin.
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.warns) != 0 {
		t.Errorf("warnings %q, want none", rec.warns)
	}
}

func TestV1InitFalse(t *testing.T) {
	if _, ok := startV1(t, "librefuse.so"); ok {
		t.Error("librefuse.so: init_plugin returned true, want false")
	}
}

// Callbacks from threads the plugin created arrive in order per thread, and
// a detached thread can still call back after init_plugin returned.
func TestV1CallbacksFromPluginThreads(t *testing.T) {
	rec, ok := startV1(t, "libthread.so")
	if !ok {
		t.Fatal("init_plugin returned false")
	}
	next := map[string]int{}
	for _, l := range rec.snapshot() {
		var who string
		var n int
		if _, err := fmt.Sscanf(l, "%s %d", &who, &n); err != nil || (who != "A" && who != "B") {
			continue
		}
		if n != next[who] {
			t.Fatalf("thread %s: line %d arrived when %d was due", who, n, next[who])
		}
		next[who]++
	}
	if next["A"] != 200 || next["B"] != 200 {
		t.Fatalf("got %d A and %d B lines, want 200 each", next["A"], next["B"])
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range rec.snapshot() {
			if strings.HasPrefix(l, "late:") {
				return
			}
		}
		runtime.GC() // callbacks must survive collections between calls
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("no log line from the detached thread")
}

// The cost of one call into a plugin that calls back twice (get_version and
// log): the host->plugin->host round trip the ABI is built on.
func BenchmarkV1InitRoundTrip(b *testing.B) {
	h := v1(b)
	path := testplugins.Path(b, "libplain.so")
	lib, err := loader.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	p := hostapi.NewHost(uint64(hostapi.Version), nil).Attach("plain", "plain")
	v := h.Description().Newest()
	for b.Loop() {
		h.Start(lib, path, p.Handle(), v)
	}
}
