//go:build unix

package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plugctl/plugctl/internal/report"
)

// Only a well-formed event for the request the parent waits on is
// believed; anything else on the channel is a forged line.
func TestParseBelievesOnlyTheCurrentRequest(t *testing.T) {
	w := &Worker{expect: reqKey{7, "0123456789abcdef"}}
	for _, tc := range []struct {
		line string
		ok   bool
	}{
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"hi"}`, true},
		{`{"ev":"phase","id":7,"tok":"0123456789abcdef","phase":"init"}`, true},
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":true}}`, true},
		{`{"ev":"settled","id":7,"tok":"0123456789abcdef","after":{"threads":0}}`, true},
		{`{"ev":"result","id":7,"result":{"ok":true}}`, false},                          // no token
		{`{"ev":"result","id":7,"tok":"0123456789abcdeF","result":{"ok":true}}`, false}, // another token
		{`{"ev":"result","id":6,"tok":"0123456789abcdef","result":{"ok":true}}`, false}, // another request
		{`{"ev":"result","id":7,"tok":"0123456789abcdef"}`, false},                      // a result without one
		{`{"ev":"settled","id":7,"tok":"0123456789abcdef"}`, false},                     // a report without one
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","reSult":{}}`, false},          // its key in another case
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":null,"RESULT":{}}`, false},
		{`{"ev":"settled","id":7,"tok":"0123456789abcdef","After":{"threads":0}}`, false},
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":null,"result":{}}`, false},      // repeated: the worker writes one
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":true},"x":1}`, false},     // a key after it
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","text":"","result":{"ok":true}}`, false}, // or before it
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":true}`, false},            // not closed
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":true} `, false},           // nor with a space after it
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":true}}}`, false},          // closed twice
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":null}`, false},                  // a null one
		{`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":tru}}`, false},            // not JSON
		{`{"ev":"settled","id":7,"tok":"0123456789abcdef","after":[]}`, false},                    // not a report
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"hi","result":{"ok":true}}`, false},  // a log line with a result
		{`{"ev":"log","id":7,"tok":"0123456789abcdef"}`, true},                                    // an empty one
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":""}`, false},                         // the same, as no worker writes it
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"a\"b\\"}`, true},                    // escapes
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"a\"}`, false},                       // a string not ended
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"a` + "\x01" + `"}`, false},          // a control character
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"\q"}`, false},                       // no such escape
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":hi}`, false},                         // no string
		{`{"ev":"warn","id":7,"tok":"0123456789abcdef","text":"t","kind":"k"}`, true},
		{`{"ev":"warn","id":7,"tok":"0123456789abcdef","kind":"k","text":"t"}`, false}, // not the worker's order
		{`{"ev":"phase","id":7,"tok":"0123456789abcdef","phase":"init","text":"n","text":"m"}`, false},
		{`{"ev":"pass","id":7,"tok":"0123456789abcdef"}`, false},                        // no such event
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"hi"}{"ev":"log"}`, false}, // two on a line
		{`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"hi"} x`, false},           // trailing bytes
		{`{"ev":"log","id":7,"tOk":"0123456789abcdef","text":"hi"}`, false},             // a key in another case
		{`{"ev":"log","ID":7,"tok":"0123456789abcdef","text":"hi"}`, false},             // the same
		{`{"ev":"log","id":6,"tok":"x","id":7,"tok":"0123456789abcdef"}`, false},        // repeated keys
		{`{"text":"hi","ev":"log","id":7,"tok":"0123456789abcdef"}`, false},             // not the worker's order
		{`PASS`, false},
		{``, false},
	} {
		if _, ok := w.parse([]byte(tc.line)); ok != tc.ok {
			t.Errorf("parse(%s) = %v, want %v", tc.line, ok, tc.ok)
		}
	}
	// Before any request nothing is believed, an empty token included.
	var idle Worker
	if _, ok := idle.parse([]byte(`{"ev":"log","id":0,"tok":""}`)); ok {
		t.Error("a worker waiting on nothing believed an event")
	}
}

// FuzzEventLine: whatever bytes a plugin puts on the channel, parse never
// panics and believes a line only if it names the current request, as an
// independent decoding says.
func FuzzEventLine(f *testing.F) {
	f.Add([]byte(`{"ev":"result","id":7,"tok":"0123456789abcdef","result":{"ok":true}}`))
	f.Add([]byte(`{"ev":"result","id":7,"result":{"ok":true}}`))
	f.Add([]byte(`{"ev":"settled","id":7,"tok":"0123456789abcdef","after":{"threads":0,"left":["1 thread"]}}`))
	f.Add([]byte(`{"ev":"log","id":7,"tok":"0123456789abcdef","text":"\u001b[2J"}`))
	f.Add([]byte("\x00\xff{"))
	f.Add([]byte(`{"ev":"warn","id":7,"tok":"0123456789abcdef","text":"a\u00e9\"\\\ud800","kind":"k"}`))
	f.Add([]byte("{\"ev\":\"phase\",\"id\":7,\"tok\":\"0123456789abcdef\",\"phase\":\"init\",\"text\":\"\xff\xfe\"}"))
	w := &Worker{expect: reqKey{7, "0123456789abcdef"}}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, ok := w.parse(line)
		if !ok {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("believed a line that is not JSON: %q", line)
		}
		if m["tok"] != "0123456789abcdef" || m["id"] != float64(7) || e.ID != 7 {
			t.Fatalf("believed a line for another request: %q", line)
		}
		switch m["ev"] {
		case evLog, evWarn, evPhase:
			// Each string field as encoding/json decodes it.
			for key, got := range map[string]string{"phase": string(e.Phase), "text": e.Text, "kind": e.Kind} {
				if want, _ := m[key].(string); got != want {
					t.Fatalf("%s decoded as %q, encoding/json says %q: %q", key, got, want, line)
				}
			}
		case evResult:
			if m["result"] == nil {
				t.Fatalf("believed a result without one: %q", line)
			}
		case evSettled:
			if m["after"] == nil {
				t.Fatalf("believed a report without one: %q", line)
			}
		default:
			t.Fatalf("believed an event of kind %v: %q", m["ev"], line)
		}
	})
}

// A thread that crashes 0.3 s after init_plugin returned: the run passes
// but is not final; the settle period ends in the crash, timed.
func TestLateCrash(t *testing.T) {
	w := start(t, newRecorder())
	out := run(t, w, 1, "liblate_crash.so", 20*time.Second)
	if out.Verdict != Passed || !out.Settling() || out.Result.After.Threads != 1 {
		t.Fatalf("run: %s settling %v after %+v", out.Verdict, out.Settling(), out.Result.After)
	}
	if out.Reusable() {
		t.Error("a worker with the plugin's thread in it is reusable")
	}
	after := w.Settle(context.Background(), 2*time.Second)
	if after.Verdict != Crashed || after.Signal != "SIGSEGV" || after.Phase != report.PhaseSettle {
		t.Fatalf("settle: %s %s phase %q (%s)", after.Verdict, after.Signal, after.Phase, after.Exit)
	}
	if after.After < 250*time.Millisecond || after.After > 1500*time.Millisecond {
		t.Errorf("crashed %v after init_plugin returned, want about 0.3 s", after.After)
	}
	if reason, _ := after.Explain(); !strings.HasPrefix(reason, "crashed 0.") || !strings.Contains(reason, "after init_plugin returned (it had left 1 thread)") {
		t.Errorf("reason %q", reason)
	}
}

// A plugin that leaves nothing running is final at once, and its worker
// runs the next plugin.
func TestQuietPluginSettlesAtOnce(t *testing.T) {
	w := start(t, newRecorder())
	out := run(t, w, 1, "libplain.so", 20*time.Second)
	if out.Verdict != Passed || out.Settling() || !out.Reusable() || len(out.Result.After.Changes) != 0 {
		t.Fatalf("plain: %s settling %v after %+v", out.Verdict, out.Settling(), out.Result.After)
	}
}

// The daemon a plugin double-forks is found below the worker (its
// subreaper), named with the process ID it wrote itself, and ended when the
// worker closes.
func TestDaemonIsFoundAndEnded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("child subreapers are Linux only")
	}
	pidFile := filepath.Join(t.TempDir(), "pid")
	w := start(t, newRecorder(), "PLUGCTL_PID_FILE="+pidFile)
	out := run(t, w, 1, "libdaemon.so", 20*time.Second)
	if out.Verdict != Passed || !out.Settling() {
		t.Fatalf("run: %s settling %v", out.Verdict, out.Settling())
	}
	after := w.Settle(context.Background(), 0)
	pid := waitPID(t, pidFile)
	if after.Verdict != Passed || after.Settled == nil || len(after.Settled.Processes) != 1 || after.Settled.Processes[0].PID != pid {
		t.Fatalf("settle: %s %+v, want process %d", after.Verdict, after.Settled, pid)
	}
	if !strings.Contains(after.Settled.Processes[0].Command, Arg) {
		t.Errorf("command %q: the daemon is a fork of the worker", after.Settled.Processes[0].Command)
	}
	w.Close()
	for deadline := time.Now().Add(5 * time.Second); running(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("daemon %d outlived its worker", pid)
		}
	}
	if got := EndOrphans(); len(got) != 0 {
		t.Errorf("the worker ended its daemon itself, yet plugctl ended %+v", got)
	}
}

// A plugin that closes every descriptor from 3 up takes the channel with
// them: the worker says so with its exit status. It takes the runtime's
// epoll descriptor too, and one of the runtime's threads may poll first,
// and the worker die of that: both are true, and both fail the plugin
// (channel.txtar accepts the same two; seen in a make test run).
func TestChannelClosedIsNamed(t *testing.T) {
	w := start(t, newRecorder())
	out := run(t, w, 1, "libclosefds.so", 20*time.Second)
	if out.Verdict != Failed || (out.Channel != "closed" && !strings.Contains(out.RuntimeError, "netpoll")) {
		t.Fatalf("%s channel %q exit %q runtime %q", out.Verdict, out.Channel, out.Exit, out.RuntimeError)
	}
	// Replacing every descriptor is the same.
	out = run(t, start(t, newRecorder()), 1, "libreplace_fds.so", 20*time.Second)
	if out.Verdict != Failed || (out.Channel != "replaced" && !strings.Contains(out.RuntimeError, "netpoll")) {
		t.Fatalf("replace: %s channel %q exit %q runtime %q", out.Verdict, out.Channel, out.Exit, out.RuntimeError)
	}
}

// Results written to the channel by the plugin fail it, whatever they say.
func TestForgedResultFails(t *testing.T) {
	w := start(t, newRecorder())
	out := run(t, w, 1, "libforge.so", 20*time.Second)
	if out.Verdict != Failed || !strings.Contains(out.Forged, `"ok":true`) || w.Alive() {
		t.Fatalf("%s forged %q alive %v", out.Verdict, out.Forged, w.Alive())
	}
}

func TestOutputAppend(t *testing.T) {
	a := Output{Data: []byte("abc"), Total: 3}
	b := a.Append(Output{Data: []byte("defgh"), Total: 9}, 5)
	if string(b.Data) != "abcde" || b.Total != 12 || !b.Truncated() || string(a.Data) != "abc" {
		t.Errorf("append: %q/%d, original %q", b.Data, b.Total, a.Data)
	}
	if c := b.Append(Output{Data: []byte("x"), Total: 1}, 5); !bytes.Equal(c.Data, b.Data) || c.Total != 13 {
		t.Errorf("append when full: %q/%d", c.Data, c.Total)
	}
}

// In a fresh worker the runtime counts a thread it is about to start before
// that thread exists, which once hid a plugin's thread about one time in
// fifteen: every one of many fresh workers must see the thread the plugin
// left.
func TestFreshWorkersSeeThePluginsThread(t *testing.T) {
	for i := range 40 {
		w := start(t, newRecorder())
		out := run(t, w, 1, "liblate_crash.so", 20*time.Second)
		w.Close()
		if out.Verdict != Passed || out.Result.After.Threads != 1 || !out.Settling() {
			t.Fatalf("worker %d: %s, %d threads left, settling %v", i, out.Verdict, out.Result.After.Threads, out.Settling())
		}
	}
}

// A thread that stops the whole process after init_plugin returned: the
// worker cannot answer at the end of the settle period, so the plugin
// times out there, and the stopped worker is killed all the same.
func TestSettleTimesOutWhenTheWorkerStopsAnswering(t *testing.T) {
	defer func(d time.Duration) { answerWait = d }(answerWait)
	answerWait = 300 * time.Millisecond
	w := start(t, newRecorder())
	out := run(t, w, 1, "liblate_stop.so", 20*time.Second)
	if !out.Settling() {
		t.Fatalf("run: %s, settling %v", out.Verdict, out.Settling())
	}
	after := w.Settle(context.Background(), 600*time.Millisecond)
	if after.Verdict != TimedOut || after.Phase != report.PhaseSettle || w.Alive() {
		t.Fatalf("settle: %s phase %q alive %v (%s)", after.Verdict, after.Phase, w.Alive(), after.Exit)
	}
	if reason, _ := after.Explain(); !strings.HasPrefix(reason, "stopped answering 0.") || !strings.Contains(reason, "did not answer within 300ms") {
		t.Errorf("reason %q", reason)
	}
}

// A worker whose Go runtime failed (a plugin closed its poller's
// descriptor) is named as such, not as a plugin calling exit(2).
func TestRuntimeErrorIsNamed(t *testing.T) {
	stderr := []byte("runtime: epollwait on fd 16 failed with 9\nfatal error: runtime: netpoll failed\n\ngoroutine 1 [running]:\n")
	o := Outcome{Verdict: Failed, Phase: report.PhaseInit, Exit: "exited with status 2", RuntimeError: runtimeError(stderr)}
	reason, hint := o.Explain()
	if reason != "the host's runtime failed in init_plugin (fatal error: runtime: netpoll failed)" || !strings.Contains(hint, "epoll descriptor") {
		t.Errorf("reason %q hint %q", reason, hint)
	}
	if runtimeError([]byte("exiting\n")) != "" {
		t.Error("a runtime error found in ordinary output")
	}
}

// waitPID reads the process ID a daemon writes to file. The daemon writes
// it after its parent has exited, so the worker may see the daemon (and
// init_plugin may return) before the file is there: wait for a whole line.
func waitPID(t *testing.T, file string) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(file)
		if err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the daemon wrote no process ID to %s in 10 s (%v)", file, err)
		}
	}
}

// The worker's events, as it marshals them, are what parse believes: the
// form parse insists on is the one json.Marshal writes.
func TestParseTakesWhatTheWorkerWrites(t *testing.T) {
	w := &Worker{expect: reqKey{7, "0123456789abcdef"}}
	for _, e := range []event{
		{Ev: evPhase, Phase: report.PhaseLoad},
		{Ev: evPhase, Phase: report.PhaseInit, Text: "plain\u2028\x01\"\\"},
		{Ev: evLog, Text: "hello \xff world"},
		{Ev: evLog},
		{Ev: evWarn, Kind: "null-message", Text: "a <b> & c"},
		{Ev: evResult, Result: &Result{OK: true, Name: "p", After: &Aftermath{Threads: 1, Left: []string{"1 thread"}}}},
		{Ev: evSettled, After: &Aftermath{}},
	} {
		e.ID, e.Token = 7, "0123456789abcdef"
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := w.parse(line)
		var want event
		json.Unmarshal(line, &want)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Errorf("parse(%s) = %+v, %v; want %+v", line, got, ok, want)
		}
	}
}
