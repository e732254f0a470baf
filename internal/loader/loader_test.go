package loader

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
)

type lines struct {
	mu    sync.Mutex
	all   []string
	warns []string
}

func (l *lines) Log(p *hostapi.Plugin, msg sanitize.Line) {
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

func skipUnlessLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sample plugins are Linux ELF files")
	}
}

func start(t *testing.T, name string) (*lines, bool) {
	t.Helper()
	lib, err := Open(testplugins.Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	entry, err := lib.Symbol(hostapi.EntrySymbol)
	if err != nil {
		t.Fatal(err)
	}
	rec := &lines{}
	p := hostapi.NewHost(hostapi.Version, rec).Attach(name, name)
	return rec, CallInit(entry, p.Handle())
}

func TestInitAndCallbacks(t *testing.T) {
	skipUnlessLinux(t)
	rec, ok := start(t, "libsdk_hello.so")
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

func TestInitFalse(t *testing.T) {
	skipUnlessLinux(t)
	if _, ok := start(t, "librefuse.so"); ok {
		t.Error("librefuse.so: init_plugin returned true, want false")
	}
}

// Callbacks from threads the plugin created arrive in order per thread, and
// a detached thread can still call back after init_plugin returned.
func TestCallbacksFromPluginThreads(t *testing.T) {
	skipUnlessLinux(t)
	rec, ok := start(t, "libthread.so")
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

func TestOpenErrors(t *testing.T) {
	skipUnlessLinux(t)
	if _, err := Open("libplain.so"); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("relative path: got %v", err)
	}
	_, err := Open(testplugins.Path(t, "libneeds_missing.so"))
	var oe *OpenError
	if !errors.As(err, &oe) || !strings.Contains(oe.Msg, "libplugctl_gone.so") {
		t.Errorf("missing dependency: got %v, want an OpenError naming libplugctl_gone.so", err)
	}
	lib, err := Open(testplugins.Path(t, "libnoentry.so"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Symbol(hostapi.EntrySymbol); !errors.Is(err, ErrNoSymbol) {
		t.Errorf("missing symbol: got %v", err)
	}
}

// The cost of one call into a plugin that calls back twice (get_version and
// log): the host->plugin->host round trip the ABI is built on.
func BenchmarkInitRoundTrip(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("Linux sample plugins")
	}
	lib, err := Open(testplugins.Path(b, "libplain.so"))
	if err != nil {
		b.Fatal(err)
	}
	entry, err := lib.Symbol(hostapi.EntrySymbol)
	if err != nil {
		b.Fatal(err)
	}
	p := hostapi.NewHost(hostapi.Version, nil).Attach("plain", "plain")
	for b.Loop() {
		CallInit(entry, p.Handle())
	}
}
