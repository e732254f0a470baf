package hostapi

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/plugctl/plugctl/internal/sanitize"
)

// recorder is a Sink that keeps everything it is given.
type recorder struct {
	mu    sync.Mutex
	logs  []string
	warns []WarningKind
	who   []*Plugin
}

func (r *recorder) Log(p *Plugin, msg sanitize.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, string(msg))
	r.who = append(r.who, p)
}

func (r *recorder) Warn(p *Plugin, w Warning) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warns = append(r.warns, w.Kind)
}

// pinned keeps test messages on the heap: Log gets their address as an
// integer, which must not go stale if a goroutine stack moves.
var pinned atomic.Pointer[[]byte]

// logBytes calls Log the way the loader does: with C-style arguments.
func logBytes(ctx uintptr, b []byte, length uintptr) {
	var addr uintptr
	if b != nil {
		heap := append(make([]byte, 0, len(b)+1), b...)
		pinned.Store(&heap)
		addr = uintptr(unsafe.Pointer(unsafe.SliceData(heap)))
	}
	Callbacks{}.Log("log", ctx, true, addr, uint64(length))
}

func TestLogRoutesByHandle(t *testing.T) {
	rec := &recorder{}
	h := NewHost(uint64(Version), rec)
	a, b := h.Attach("a", "a.so"), h.Attach("b", "b.so")
	if a.Handle() == 0 || a.Handle() == b.Handle() {
		t.Fatalf("handles %#x, %#x: want distinct and non-zero", a.Handle(), b.Handle())
	}
	msg := []byte("to b")
	logBytes(b.Handle(), msg, uintptr(len(msg)))
	if len(rec.who) != 1 || rec.who[0] != b || rec.logs[0] != "to b" {
		t.Fatalf("got %v from %v", rec.logs, rec.who)
	}
	if b.Lines() != 1 || a.Lines() != 0 {
		t.Errorf("lines: a %d, b %d", a.Lines(), b.Lines())
	}
	if got := getVersion(a.Handle()); got != uint64(Version) {
		t.Errorf("GetVersion = %d", got)
	}
}

func TestHostSpeaksItsVersion(t *testing.T) {
	h := NewHost(7, nil)
	p := h.Attach("p", "p.so")
	if got := getVersion(p.Handle()); got != 7 {
		t.Errorf("GetVersion = %d, want 7", got)
	}
}

func TestLogDistrustsArguments(t *testing.T) {
	big := []byte(strings.Repeat("x", MaxMessage+100))
	tests := []struct {
		name     string
		msg      []byte
		length   uintptr
		wantLog  string // "-" for no log line
		wantWarn []WarningKind
	}{
		{"plain", []byte("hi"), 2, "hi", nil},
		{"empty", []byte{}, 0, "", nil},
		{"NULL and empty", nil, 0, "", nil},
		{"NULL with a length", nil, 10, "-", []WarningKind{NullMessage}},
		{"absurd length", big, ^uintptr(0), strings.Repeat("x", MaxMessage), []WarningKind{MessageTruncated}},
		{"just over the cap", big, MaxMessage + 1, strings.Repeat("x", MaxMessage), []WarningKind{MessageTruncated}},
		{"exactly the cap", big, MaxMessage, strings.Repeat("x", MaxMessage), nil},
		{"invalid UTF-8", []byte("a\xffb"), 3, `a\xffb`, []WarningKind{InvalidUTF8}},
		{"escapes", []byte("\x1b]0;t\x07"), 6, `\x1b]0;t\x07`, []WarningKind{ControlChars}},
		{"length shorter than the buffer", []byte("hello"), 4, "hell", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p := NewHost(uint64(Version), rec).Attach("p", "p.so")
			logBytes(p.Handle(), tt.msg, tt.length)
			if tt.wantLog == "-" {
				if len(rec.logs) != 0 {
					t.Errorf("logged %q, want nothing", rec.logs)
				}
			} else if len(rec.logs) != 1 || rec.logs[0] != tt.wantLog {
				t.Errorf("logged %d lines (first %.40q), want %.40q", len(rec.logs), first(rec.logs), tt.wantLog)
			}
			if fmt.Sprint(rec.warns) != fmt.Sprint(tt.wantWarn) {
				t.Errorf("warnings %v, want %v", rec.warns, tt.wantWarn)
			}
		})
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func TestUnknownContext(t *testing.T) {
	rec := &recorder{}
	h := NewHost(uint64(Version), rec)
	p := h.Attach("p", "p.so")

	// During init_plugin, a bad ctx is blamed on the plugin being started.
	p.BeginInit()
	msg := []byte("m")
	logBytes(0xdead, msg, 1)
	getVersion(0)
	p.EndInit()
	if len(rec.who) != 1 || rec.who[0] != p {
		t.Fatalf("log with unknown ctx during init went to %v, want p", rec.who)
	}
	if p.WarningCount() != 2 || len(p.Warnings()) != 1 {
		t.Errorf("warnings: %d counted, %d reported; want 2 counted, first reported once", p.WarningCount(), len(p.Warnings()))
	}

	// Outside any init it is still delivered and warned about, with no plugin.
	logBytes(0xbeef, msg, 1)
	if rec.who[len(rec.who)-1] != nil {
		t.Errorf("log with unknown ctx outside init attributed to %v", rec.who[len(rec.who)-1])
	}
}

func TestWarningReportedOncePerKind(t *testing.T) {
	rec := &recorder{}
	p := NewHost(uint64(Version), rec).Attach("p", "p.so")
	for range 100 {
		logBytes(p.Handle(), nil, 5)
	}
	if len(rec.warns) != 1 || p.WarningCount() != 100 {
		t.Errorf("sink got %d warnings, count %d; want 1 and 100", len(rec.warns), p.WarningCount())
	}
}

func TestKeptLogsAreCapped(t *testing.T) {
	p := NewHost(uint64(Version), nil).Attach("p", "p.so")
	msg := []byte("l")
	for range MaxKeptLogs + 10 {
		logBytes(p.Handle(), msg, 1)
	}
	if p.Lines() != MaxKeptLogs+10 || len(p.Logs()) != MaxKeptLogs {
		t.Errorf("lines %d, kept %d", p.Lines(), len(p.Logs()))
	}
}

// Concurrent callers each see their own lines delivered in order.
func TestLogOrderPerThread(t *testing.T) {
	rec := &recorder{}
	p := NewHost(uint64(Version), rec).Attach("p", "p.so")
	const workers, lines = 8, 500
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range lines {
				m := []byte(fmt.Sprintf("%d %d", w, i))
				logBytes(p.Handle(), m, uintptr(len(m)))
			}
		})
	}
	wg.Wait()
	next := make([]int, workers)
	for _, l := range rec.logs {
		var w, i int
		fmt.Sscanf(l, "%d %d", &w, &i)
		if i != next[w] {
			t.Fatalf("worker %d: line %d arrived when %d was due", w, i, next[w])
		}
		next[w]++
	}
	if len(rec.logs) != workers*lines {
		t.Errorf("got %d lines, want %d", len(rec.logs), workers*lines)
	}
}

func BenchmarkLog(b *testing.B) {
	p := NewHost(uint64(Version), nil).Attach("p", "p.so")
	msg := []byte("plugin started: 42 workers ready")
	pinned.Store(&msg)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(msg)))
	for b.Loop() {
		Callbacks{}.Log("log", p.Handle(), true, addr, uint64(len(msg)))
	}
}

// Callbacks after init_plugin returned are warned about only when the host
// asks, once per plugin, and the log line still arrives.
func TestAfterInit(t *testing.T) {
	for _, ask := range []bool{false, true} {
		rec := &recorder{}
		h := NewHost(uint64(Version), rec)
		h.WarnAfterInit = ask
		p := h.Attach("p", "p.so")
		msg := []byte("late")
		p.BeginInit()
		logBytes(p.Handle(), msg, uintptr(len(msg))) // during init: fine
		p.EndInit()
		if len(rec.warns) != 0 {
			t.Fatalf("warned during init: %v", rec.warns)
		}
		logBytes(p.Handle(), msg, uintptr(len(msg)))
		getVersion(p.Handle())
		want := 0
		if ask {
			want = 1
		}
		if len(rec.warns) != want || (ask && rec.warns[0] != AfterInit) || len(rec.logs) != 2 {
			t.Errorf("ask=%v: warnings %v, logs %v", ask, rec.warns, rec.logs)
		}
		if ask && p.WarningCount() != 2 {
			t.Errorf("counted %d after-init calls, want 2", p.WarningCount())
		}
	}
}

// A host whose sink keeps the logs can keep none itself.
func TestKeepLogsZero(t *testing.T) {
	h := NewHost(uint64(Version), &recorder{})
	h.KeepLogs = 0
	p := h.Attach("p", "p.so")
	msg := []byte("x")
	logBytes(p.Handle(), msg, 1)
	if p.Lines() != 1 || len(p.Logs()) != 0 {
		t.Errorf("lines %d, kept %d", p.Lines(), len(p.Logs()))
	}
}

// Every warning kind has its stable name; a kind out of range still prints.
func TestWarningKindNames(t *testing.T) {
	if got := NullMessage.String(); got != "null-message" {
		t.Errorf("NullMessage = %q", got)
	}
	if got := AfterInit.String(); got != "after-init" {
		t.Errorf("AfterInit = %q", got)
	}
	for _, k := range []WarningKind{-1, numWarningKinds} {
		if got, want := k.String(), fmt.Sprintf("warning-%d", int(k)); got != want {
			t.Errorf("WarningKind(%d) = %q, want %q", int(k), got, want)
		}
	}
}

// Fault records a callback failure against the plugin whose ctx it was;
// with a ctx the host never gave out, against the host that is running a
// plugin or ran one last, as other callbacks' misuse is.
func TestFault(t *testing.T) {
	rec := &recorder{}
	p := NewHost(uint64(Version), rec).Attach("p", "p.so")
	p.BeginInit()
	p.EndInit()
	Callbacks{}.Fault(p.Handle(), "boom")
	if fmt.Sprint(rec.warns) != fmt.Sprint([]WarningKind{CallbackFault}) {
		t.Errorf("warnings %v, want a callback fault", rec.warns)
	}
	Callbacks{}.Fault(0xdead, "boom")
	if fmt.Sprint(rec.warns) != fmt.Sprint([]WarningKind{CallbackFault, CallbackFault}) {
		t.Errorf("warnings %v after a fault on an unknown ctx, want a second callback fault", rec.warns)
	}
}

// A stray call (an unknown ctx after init_plugin returned) is reported to
// the host whose plugin ran last, not to whichever host was made last.
func TestStrayGoesToTheHostThatRanLast(t *testing.T) {
	ran, idle := &recorder{}, &recorder{}
	p := NewHost(uint64(Version), ran).Attach("p", "p.so")
	p.BeginInit()
	p.EndInit()
	NewHost(uint64(Version), idle).Attach("q", "q.so") // newer, never run
	Callbacks{}.Fault(0xbad, "boom")
	if len(ran.warns) != 1 || len(idle.warns) != 0 {
		t.Errorf("warnings: host that ran %v, newer host %v", ran.warns, idle.warns)
	}
}

// getVersion calls the version callback as plugctl's own ABI's get_version.
func getVersion(ctx uintptr) uint64 {
	v, _ := Callbacks{}.Version("get_version", ctx, true)
	return v
}

// A log callback of a described ABI may take a NUL-terminated string and
// no context: the text is read up to the NUL, at most MaxMessage bytes,
// and the call is the starting plugin's, with no unknown-ctx warning.
func TestLogCStringWithoutContext(t *testing.T) {
	rec := &recorder{}
	p := NewHost(uint64(Version), rec).Attach("p", "p.so")
	p.BeginInit()
	defer p.EndInit()
	msg := append([]byte("hello\x00ignored"), 0)
	pinned.Store(&msg)
	Callbacks{}.LogString("say", 0, false, uintptr(unsafe.Pointer(unsafe.SliceData(msg))))
	long := append([]byte(strings.Repeat("y", MaxMessage+10)), 0)
	pinned.Store(&long)
	Callbacks{}.LogString("say", 0xbad, false, uintptr(unsafe.Pointer(unsafe.SliceData(long))))
	Callbacks{}.LogString("say", 0, false, 0)
	if len(rec.logs) != 2 || string(rec.logs[0]) != "hello" || len(rec.logs[1]) != MaxMessage {
		t.Fatalf("logs %q", rec.logs)
	}
	if fmt.Sprint(rec.warns) != fmt.Sprint([]WarningKind{MessageTruncated, NullMessage}) {
		t.Errorf("warnings %v, want a truncation and a NULL message", rec.warns)
	}
	if p.Lines() != 2 {
		t.Errorf("the plugin starting has %d lines, want 2", p.Lines())
	}
}
