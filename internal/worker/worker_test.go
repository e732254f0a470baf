//go:build unix

package worker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"github.com/plugctl/plugctl/internal/procstate"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
	"github.com/plugctl/plugctl/internal/testplugins"
)

// recorder is a Handler that keeps everything by request.
type recorder struct {
	mu    sync.Mutex
	logs  map[uint64][]string
	warns map[uint64][]string
}

func newRecorder() *recorder {
	return &recorder{logs: map[uint64][]string{}, warns: map[uint64][]string{}}
}

func (r *recorder) Named(uint64, sanitize.Line) {}

func (r *recorder) Log(id uint64, text sanitize.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs[id] = append(r.logs[id], string(text))
}

func (r *recorder) Warn(id uint64, kind, text sanitize.Line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.warns[id] = append(r.warns[id], string(kind))
}

func (r *recorder) get(id uint64) (logs, warns []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logs[id], r.warns[id]
}

func start(t *testing.T, rec *recorder, env ...string) *Worker {
	t.Helper()
	// Built with -race, a worker sleeps a second as it exits unless told
	// not to (ThreadSanitizer's atexit_sleep_ms), as long as Close waits
	// for it before killing it.
	env = append(env, "GORACE=atexit_sleep_ms=0")
	w, err := Start(Config{Env: env, OutputLimit: 4096, MaxMemory: 4 << 30, Handler: rec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

func run(t *testing.T, w *Worker, id uint64, name string, timeout time.Duration) Outcome {
	t.Helper()
	return w.Run(context.Background(), Plugin{ID: id, Path: testplugins.Path(t, name), HostAPI: 1}, timeout)
}

func TestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		plugin  string
		verdict Verdict
		phase   report.Phase
		signal  string
		exit    string
		log     string
		stdout  string
	}{
		{plugin: "libplain.so", verdict: Passed},
		{plugin: "librefuse.so", verdict: Failed},
		{plugin: "libcrash.so", verdict: Crashed, phase: "init", signal: "SIGSEGV", log: "about to crash"},
		{plugin: "libctor_crash.so", verdict: Crashed, phase: "load", signal: "SIGSEGV"},
		{plugin: "libabort.so", verdict: Crashed, phase: "init", signal: "SIGABRT", log: "giving up"},
		{plugin: "libexit0.so", verdict: Failed, phase: "init", exit: "exited with status 0", log: "leaving", stdout: "goodbye from exit0\n"},
	} {
		t.Run(tc.plugin, func(t *testing.T) {
			rec := newRecorder()
			w := start(t, rec)
			out := run(t, w, 7, tc.plugin, 20*time.Second)
			if out.Verdict != tc.verdict || out.Phase != tc.phase || out.Signal != tc.signal {
				t.Fatalf("verdict %q phase %q signal %q (exit %q), want %q %q %q", out.Verdict, out.Phase, out.Signal, out.Exit, tc.verdict, tc.phase, tc.signal)
			}
			if tc.exit != "" && out.Exit != tc.exit {
				t.Errorf("exit %q, want %q", out.Exit, tc.exit)
			}
			if (out.Result != nil) != (tc.verdict == Passed || tc.plugin == "librefuse.so") {
				t.Errorf("result %+v", out.Result)
			}
			logs, _ := rec.get(7)
			if tc.log != "" && (len(logs) == 0 || logs[0] != tc.log) {
				t.Errorf("logs %q, want %q first", logs, tc.log)
			}
			if string(out.Stdout.Data) != tc.stdout {
				t.Errorf("stdout %q, want %q", out.Stdout.Data, tc.stdout)
			}
			if w.Alive() != (tc.verdict == Passed || tc.verdict == Failed && out.Result != nil) {
				t.Errorf("alive = %v after %s", w.Alive(), tc.verdict)
			}
		})
	}
}

// A plugin that hangs is killed at the timeout, with the child process it
// started, and what it logged before is kept.
func TestTimeoutKillsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	rec := newRecorder()
	w := start(t, rec, "PLUGCTL_PID_FILE="+pidFile)
	out := run(t, w, 1, "libloop.so", 500*time.Millisecond)
	if out.Verdict != TimedOut || out.Phase != "init" {
		t.Fatalf("verdict %q phase %q, want timeout in init", out.Verdict, out.Phase)
	}
	if logs, _ := rec.get(1); len(logs) != 1 || logs[0] != "spinning forever" {
		t.Errorf("logs %q", logs)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
	// The child is killed with the group: at most a zombie waiting for init
	// to reap it.
	deadline := time.Now().Add(5 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("the plugin's child %d outlived the timeout", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A worker whose request channel ends, as when plugctl dies, ends
// everything below it itself, even while its plugin hangs, and then exits
// with status 0. (Here the parent is alive and would kill the group too;
// verify_interrupt.txtar kills plugctl and checks that the forked process
// goes.)
func TestChannelEndEndsGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	w := start(t, newRecorder(), "PLUGCTL_PID_FILE="+pidFile)
	outc := make(chan Outcome)
	go func() { outc <- run(t, w, 1, "libloop.so", time.Minute) }()
	var pids []string
	for deadline := time.Now().Add(10 * time.Second); len(pids) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not start")
		}
		b, _ := os.ReadFile(pidFile)
		pids = strings.Fields(string(b))
	}
	w.reqs.Close()
	out := <-outc
	if out.Verdict != Failed || out.Exit != "exited with status 0" {
		t.Errorf("verdict %q exit %q, want status 0", out.Verdict, out.Exit)
	}
	for _, f := range pids {
		pid, _ := strconv.Atoi(f)
		for deadline := time.Now().Add(5 * time.Second); running(pid); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d outlived its worker's channel", pid)
			}
		}
	}
}

// A plugin the parent has checked is loaded on the parent's word, without
// the worker reading the file again: here the word is that its manifest is
// 4 bytes, and the worker refuses to read 120 from it.
func TestCheckedIsTrusted(t *testing.T) {
	w := start(t, newRecorder())
	p := Plugin{ID: 1, Path: testplugins.Path(t, "libsdk_hello.so"), HostAPI: 1}
	if out := w.Run(context.Background(), p, time.Minute); out.Verdict != Passed {
		t.Fatalf("unchecked: %s (%s)", out.Verdict, out.Exit)
	}
	w = start(t, newRecorder())
	p.Checked = &launch.Checked{ManifestSize: 4}
	out := w.Run(context.Background(), p, time.Minute)
	if out.Result == nil || out.Result.Error == nil || out.Result.Error.Kind != report.KindManifestRefused ||
		!strings.Contains(out.Result.Error.Detail, "4 bytes") {
		t.Fatalf("checked as 4 bytes: %s %+v", out.Verdict, out.Result)
	}
}

// Output is capped but counted, and every log line arrives.
func TestFlood(t *testing.T) {
	rec := newRecorder()
	w := start(t, rec)
	out := run(t, w, 3, "libflood.so", 30*time.Second)
	if out.Verdict != Passed {
		t.Fatalf("verdict %q (%s)", out.Verdict, out.Exit)
	}
	if out.Stdout.Total != 8<<20 || len(out.Stdout.Data) != 4096 || !out.Stdout.Truncated() {
		t.Errorf("stdout total %d kept %d", out.Stdout.Total, len(out.Stdout.Data))
	}
	if logs, _ := rec.get(3); len(logs) != 5000 || logs[4999] != "flood 4999" {
		t.Errorf("%d logs", len(logs))
	}
}

// In a reused worker each plugin gets exactly its own output and logs.
func TestReuseKeepsPluginsApart(t *testing.T) {
	rec := newRecorder()
	w := start(t, rec)
	order := []string{"libescapes.so", "libplain.so", "libexit0.so"}
	var outs []Outcome
	for i, name := range order {
		outs = append(outs, run(t, w, uint64(i+1), name, 20*time.Second))
	}
	if outs[0].Verdict != Passed || !bytes.Contains(outs[0].Stdout.Data, []byte("stdout")) || !bytes.Contains(outs[0].Stderr.Data, []byte("PASS forged")) {
		t.Errorf("escapes: %s stdout %q stderr %q", outs[0].Verdict, outs[0].Stdout.Data, outs[0].Stderr.Data)
	}
	if outs[1].Verdict != Passed || outs[1].Stdout.Total != 0 || outs[1].Stderr.Total != 0 {
		t.Errorf("plain: %s stdout %q stderr %q", outs[1].Verdict, outs[1].Stdout.Data, outs[1].Stderr.Data)
	}
	if outs[2].Verdict != Failed || outs[2].Result != nil || string(outs[2].Stdout.Data) != "goodbye from exit0\n" {
		t.Errorf("exit0: %s %q", outs[2].Verdict, outs[2].Stdout.Data)
	}
	if logs, _ := rec.get(2); len(logs) != 1 || logs[0] != "hello from a plain C plugin" {
		t.Errorf("plain got logs %q", logs)
	}
	if w.Runs() != 3 || w.Alive() {
		t.Errorf("runs %d alive %v", w.Runs(), w.Alive())
	}
}

func TestCanceled(t *testing.T) {
	w := start(t, newRecorder())
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	out := w.Run(ctx, Plugin{ID: 1, Path: testplugins.Path(t, "libloop.so"), HostAPI: 1}, time.Minute)
	if out.Verdict != Canceled || w.Alive() {
		t.Fatalf("verdict %q alive %v", out.Verdict, w.Alive())
	}
}

func TestCaptureSplitsAtMarkers(t *testing.T) {
	mark := []byte(marker("0123456789abcdef"))
	stream := fmt.Sprintf("one%stwo-two%s%s", mark, mark, "rest")
	// Feed it one byte at a time, so that every marker is split across reads.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := newCapture(r, mark, 5)
	for i := range len(stream) {
		w.Write([]byte{stream[i]})
	}
	w.Close()
	want := []struct {
		data  string
		total int64
	}{{"one", 3}, {"two-t", 7}, {"rest", 4}, {"", 0}}
	for _, wt := range want {
		out, ok := c.next(time.Second)
		if !ok || string(out.Data) != wt.data || out.Total != wt.total {
			t.Errorf("next = %q/%d %v, want %q/%d", out.Data, out.Total, ok, wt.data, wt.total)
		}
	}
}

func TestEnvironment(t *testing.T) {
	vars := map[string]string{"PATH": "/bin", "LD_PRELOAD": "evil.so", "FOO": "1", "HOME": "/root"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	env, err := Environment(lookup, []string{"FOO", "BAR=2", "UNSET", "PATH=/opt"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(env, " ")
	if want := "PATH=/opt HOME=/root FOO=1 BAR=2"; got != want {
		t.Errorf("env %q, want %q", got, want)
	}
	if _, err := Environment(lookup, []string{"=x"}); err == nil {
		t.Error("accepted an empty name")
	}
	// Names differ by case on Unix (on Windows they do not).
	env, _ = Environment(lookup, []string{"Foo=a", "FOO=b"})
	if got, want := strings.Join(env, " "), "PATH=/bin HOME=/root Foo=a FOO=b"; got != want {
		t.Errorf("env %q, want %q", got, want)
	}
}

// The crash hint points at a debugger, and after init_plugin at the
// thread or handler the plugin left.
func TestCrashHints(t *testing.T) {
	init := Outcome{Verdict: Crashed, Phase: report.PhaseInit, Signal: "SIGSEGV"}.crashHint()
	settle := Outcome{Verdict: Crashed, Phase: report.PhaseSettle, Signal: "SIGSEGV"}.crashHint()
	if !strings.HasPrefix(init, "run plugctl load --in-process under a debugger (gdb --args ") {
		t.Errorf("in init_plugin: %q", init)
	}
	if !strings.HasPrefix(settle, "a thread or signal handler the plugin left running crashed the host after init_plugin returned") {
		t.Errorf("after init_plugin: %q", settle)
	}
}

// running reports whether process pid exists and is not a zombie.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no /proc: only kill's answer counts
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// A worker is used again after a plugin passed or failed and left nothing;
// never after a crash, a forged line, or a plugin that left something.
func TestReusable(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    Outcome
		want bool
	}{
		{"passed", Outcome{Verdict: Passed, Result: &Result{}}, true},
		{"failed", Outcome{Verdict: Failed, Result: &Result{}}, true},
		{"crashed", Outcome{Verdict: Crashed, Result: &Result{}}, false},
		{"no result", Outcome{Verdict: Passed}, false},
		{"forged", Outcome{Verdict: Failed, Result: &Result{}, Forged: "x"}, false},
		{"left a thread", Outcome{Verdict: Passed, Result: &Result{After: &Aftermath{Left: []string{"1 thread"}}}}, false},
		{"changed the directory", Outcome{Verdict: Passed, Result: &Result{After: &Aftermath{Changes: []procstate.Change{{Kind: "cwd"}}}}}, false},
		{"watched, left nothing", Outcome{Verdict: Passed, Result: &Result{After: &Aftermath{}}}, true},
	} {
		if got := tt.o.Reusable(); got != tt.want {
			t.Errorf("%s: Reusable() = %v", tt.name, got)
		}
	}
}

// A forged line is quoted whole up to 120 bytes, and cut there with an
// ellipsis beyond.
func TestExcerpt(t *testing.T) {
	line := strings.Repeat("x", 121)
	if got := excerpt([]byte(line[:120])); got != line[:120] {
		t.Errorf("120 bytes: %q", got)
	}
	if got := excerpt([]byte(line)); got != line[:120]+"…" {
		t.Errorf("121 bytes: %q", got)
	}
}

// A line of exactly max bytes is kept; one byte more and it is dropped.
func TestReadLineLimit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"abcd\n", 4, "abcd"},
		{"abcde\n", 4, "(a line of over 1 MiB)"},
		{"\n", 0, ""},
	} {
		got, err := readLine(bufio.NewReaderSize(strings.NewReader(tt.in), 16), tt.max)
		if err != nil || string(got) != tt.want {
			t.Errorf("readLine(%q, %d) = %q, %v", tt.in, tt.max, got, err)
		}
	}
}

// A crash in the settle period names what the plugin had left, if anything.
func TestWhereSettling(t *testing.T) {
	o := Outcome{Phase: report.PhaseSettle, After: 1500 * time.Millisecond, Result: &Result{After: &Aftermath{}}}
	if got := o.Where(); strings.Contains(got, "left") {
		t.Errorf("left nothing: %q", got)
	}
	o.Result.After.Left = []string{"1 thread"}
	if got := o.Where(); !strings.HasSuffix(got, " (it had left 1 thread)") {
		t.Errorf("left a thread: %q", got)
	}
}

// The worker is the plugin's process: what it says a plugin logged is
// sanitized again where the parent reads it, whatever the worker's own host
// did, and the Handler gets Lines.
func TestEventTextIsSanitizedWhereItComesIn(t *testing.T) {
	r, wr, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	w := &Worker{cfg: Config{Handler: rec}, expect: reqKey{7, "0123456789abcdef"}, control: make(chan event, 16)}
	fmt.Fprintln(wr, `{"ev":"log","id":7,"tok":"0123456789abcdef","text":"\u001b[2Jgone\u202e"}`)
	fmt.Fprintln(wr, `{"ev":"warn","id":7,"tok":"0123456789abcdef","text":"y","kind":"x\u0007"}`)
	wr.Close()
	w.readEvents(r)
	logs, warns := rec.get(7)
	if len(logs) != 1 || logs[0] != `\x1b[2Jgone\u202e` || len(warns) != 1 || warns[0] != `x\x07` {
		t.Errorf("handler got logs %q, warning kinds %q", logs, warns)
	}
}

// A worker whose stdout and stderr lead nowhere (plugctl died) is not
// killed by SIGPIPE when it writes its end-of-output marker: it lives on
// (and sends the plugin's result), to end what its plugins started when its
// request channel hangs up.
func TestBrokenOutputDoesNotKillTheWorker(t *testing.T) {
	w := start(t, newRecorder())
	w.outputs[0].Close()
	w.outputs[1].Close()
	if out := run(t, w, 1, "libplain.so", 10*time.Second); out.Verdict != Passed {
		t.Fatalf("verdict %q (%s %s), want pass", out.Verdict, out.Signal, out.Exit)
	}
}

// Close kills a worker that has run no plugin (nothing of a plugin's is
// there to end, and it may still be starting), and lets one that has run
// plugins end on its own, as the end of its request channel tells it to.
func TestCloseKillsOnlyAnUnusedWorker(t *testing.T) {
	unused := start(t, newRecorder())
	unused.Close()
	if st := unused.state; st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("a worker that ran nothing ended %v, want killed by SIGKILL", st)
	}
	used := start(t, newRecorder())
	if out := run(t, used, 1, "libplain.so", time.Minute); out.Verdict != Passed {
		t.Fatalf("libplain.so: %q (%s)", out.Verdict, out.Exit)
	}
	used.Close()
	if st := used.state; st == nil || !st.Exited() || st.ExitCode() != 0 {
		t.Errorf("a worker that ran a plugin ended %v, want status 0", st)
	}
}
