//go:build windows

package procstate

import (
	"os"
	"slices"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Take reads what can be read of the process's shared state on Windows: the
// working directory, the environment, and the threads that are not the Go
// runtime's (-1 if they cannot be listed).
func Take() Snapshot {
	s := Snapshot{Umask: -1, Threads: foreignThreads()}
	s.Dir, _ = os.Getwd()
	s.Env = os.Environ() // read from the process's environment block each time
	slices.Sort(s.Env)
	return s
}

// MarkHostThread does nothing on Windows: threads are told apart by where
// they started, from any thread.
func MarkHostThread() (unmark func(), err error) { return func() {}, nil }

// Mask returns 0 on Windows: signal masks are not read.
func Mask() uint64 { return 0 }

// threadQuerySetWin32StartAddress is the THREADINFOCLASS that gives the
// address a thread was started at.
const threadQuerySetWin32StartAddress = 9

var (
	ntQueryInformationThread = windows.NewLazySystemDLL("ntdll.dll").NewProc("NtQueryInformationThread")
	// systemCode is the address ranges of plugctl's own executable and of
	// the system DLLs that start threads of their own: ntdll.dll (the
	// thread pool, the parallel loader) and kernelbase.dll and kernel32.dll
	// (the console's control thread).
	systemCode = sync.OnceValue(func() [][2]uintptr {
		var ranges [][2]uintptr
		for _, name := range []string{"", "ntdll.dll", "kernelbase.dll", "kernel32.dll"} {
			var p *uint16
			if name != "" {
				p, _ = windows.UTF16PtrFromString(name)
			}
			if lo, hi := moduleRange(p); lo != 0 {
				ranges = append(ranges, [2]uintptr{lo, hi})
			} else if name == "" {
				return nil // without the executable's range every thread would count
			}
		}
		return ranges
	})
)

// moduleRange returns the address range of the loaded module name (nil:
// the executable), or zeros.
func moduleRange(name *uint16) (lo, hi uintptr) {
	var mi windows.ModuleInfo
	var self windows.Handle
	if windows.GetModuleHandleEx(windows.GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, name, &self) != nil ||
		windows.GetModuleInformation(windows.CurrentProcess(), self, &mi, uint32(unsafe.Sizeof(mi))) != nil {
		return 0, 0
	}
	return mi.BaseOfDll, mi.BaseOfDll + uintptr(mi.SizeOfImage)
}

// foreignThreads counts the process's threads that did not start in
// plugctl's own executable or in the system DLLs that start threads of
// their own. The Go runtime starts every thread of its own in the
// executable (and the main thread starts at its entry point). The system
// starts its thread-pool workers, which the loader itself uses to load DLLs
// in parallel, in ntdll; and when a Ctrl-C or Ctrl-Break reaches the
// console, a thread in every process on it at CtrlRoutine, in kernelbase
// (kernel32 before Windows 7), even in a worker that ignores the event. A
// thread a plugin starts, with CreateThread or a C runtime's
// _beginthreadex, starts in the plugin or in that runtime. (So a plugin's
// work on the system thread pool is not counted, nor a thread it started
// at a kernel32 function.) -1 if the threads cannot be listed.
func foreignThreads() int {
	system := systemCode()
	if system == nil || ntQueryInformationThread.Find() != nil {
		return -1
	}
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return -1
	}
	defer windows.CloseHandle(snap)
	pid := windows.GetCurrentProcessId()
	n := 0
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		h, err := windows.OpenThread(windows.THREAD_QUERY_INFORMATION, false, te.ThreadID)
		if err != nil {
			continue // it ended since the snapshot
		}
		start, ok := startAddress(h)
		windows.CloseHandle(h)
		if !ok {
			return -1
		}
		if !slices.ContainsFunc(system, func(r [2]uintptr) bool { return r[0] <= start && start < r[1] }) {
			n++
		}
	}
	return n
}

// unstartedWait is how long startAddress waits for a thread that has not
// begun to run to tell where it starts (knownStart).
const unstartedWait = 250 * time.Millisecond

// startAddress returns the address thread h was started at.
func startAddress(h windows.Handle) (uintptr, bool) {
	return knownStart(func() (uintptr, bool) {
		var start uintptr
		status, _, _ := ntQueryInformationThread.Call(uintptr(h), threadQuerySetWin32StartAddress,
			uintptr(unsafe.Pointer(&start)), unsafe.Sizeof(start), 0)
		return start, status == 0
	}, unstartedWait)
}
