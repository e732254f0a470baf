//go:build windows

package worker

import (
	"sync"
	"time"

	"golang.org/x/sys/windows"
)

// limitSelf does nothing in the worker on Windows: plugctl caps each
// worker's memory through its job object (startWorker).
func limitSelf(uint64) error { return nil }

// cpu is the CPU time budget of the plugin running now, enforced by a
// watchdog: Windows has no per-process CPU time signal, and a job's time
// limit cannot be moved by the worker for each plugin.
var cpu struct {
	sync.Mutex
	until time.Duration // the process's CPU time at which to stop; 0: no limit
	once  sync.Once
}

// exitCPULimit is the status a Windows worker exits with when its plugin
// used up --cpu-limit (on Unix the kernel's SIGXCPU says so). It follows
// the channel statuses (protocol.go).
const exitCPULimit = 92

// cpuCheck is how often the watchdog reads the worker's CPU time.
const cpuCheck = 20 * time.Millisecond

// setCPULimit lets the next plugin use d of CPU time from now (0: no
// limit); past it, the worker exits with exitCPULimit, as on Unix the
// kernel ends it with SIGXCPU.
func setCPULimit(d time.Duration) {
	cpu.Lock()
	cpu.until = 0
	if d > 0 {
		cpu.until = processCPU() + d
	}
	cpu.Unlock()
	if d <= 0 {
		return // the watchdog, once started, idles until a limit is set
	}
	cpu.once.Do(func() {
		go func() {
			for range time.Tick(cpuCheck) {
				cpu.Lock()
				over := cpu.until > 0 && processCPU() >= cpu.until
				cpu.Unlock()
				if over {
					endGroup(exitCPULimit)
				}
			}
		}()
	})
}

// processCPU returns the user and kernel time the worker has used.
func processCPU() time.Duration {
	var c, e, k, u windows.Filetime
	if windows.GetProcessTimes(windows.CurrentProcess(), &c, &e, &k, &u) != nil {
		return 0
	}
	ticks := func(f windows.Filetime) time.Duration {
		return time.Duration(uint64(f.HighDateTime)<<32|uint64(f.LowDateTime)) * 100
	}
	return ticks(k) + ticks(u)
}
