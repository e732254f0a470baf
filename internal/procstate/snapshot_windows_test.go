//go:build windows

package procstate

import (
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// These run under Wine in make test-windows.

// startThreadAt starts a thread at the function name exported by dll,
// passing it arg, and returns a function that waits for it to end.
func startThreadAt(t *testing.T, dll, name string, arg uintptr) (wait func()) {
	t.Helper()
	fn := windows.NewLazySystemDLL(dll).NewProc(name)
	if err := fn.Find(); err != nil {
		t.Fatalf("%s!%s: %v", dll, name, err)
	}
	create := windows.NewLazySystemDLL("kernel32.dll").NewProc("CreateThread")
	r, _, err := create.Call(0, 0, fn.Addr(), arg, 0, 0)
	if r == 0 {
		t.Fatalf("CreateThread at %s!%s: %v", dll, name, err)
	}
	h := windows.Handle(r)
	return func() {
		windows.WaitForSingleObject(h, windows.INFINITE)
		windows.CloseHandle(h)
	}
}

// A thread the system starts in kernelbase, as it starts the console's
// control thread at CtrlRoutine when a Ctrl-C reaches the console, is not
// the plugin's: not counted. One that starts in any other DLL is.
func TestForeignThreads(t *testing.T) {
	before := foreignThreads()
	if before < 0 {
		t.Fatal("foreignThreads: the threads cannot be listed")
	}
	const ms = 1500
	wait := startThreadAt(t, "kernelbase.dll", "Sleep", ms)
	time.Sleep(100 * time.Millisecond) // it is running
	if n := foreignThreads(); n != before {
		t.Errorf("a thread started at kernelbase!Sleep: %d foreign threads, want %d", n, before)
	}
	wait()
	wait = startThreadAt(t, "msvcrt.dll", "_sleep", ms)
	time.Sleep(100 * time.Millisecond)
	if n := foreignThreads(); n != before+1 {
		t.Errorf("a thread started at msvcrt!_sleep: %d foreign threads, want %d", n, before+1)
	}
	wait()
	if n := foreignThreads(); n != before {
		t.Errorf("after both threads ended: %d foreign threads, want %d", n, before)
	}
}
