//go:build windows

package worker

import (
	"os"
	"time"
)

// limitSelf does nothing on Windows: plugctl sets no worker limits there.
func limitSelf(uint64) error { return nil }

// setCPULimit does nothing on Windows.
func setCPULimit(time.Duration) {}

// keepFromChildren does nothing on Windows: only the handles a program is
// started with are inherited.
func keepFromChildren(...*os.File) {}
