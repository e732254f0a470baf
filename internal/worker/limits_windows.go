//go:build windows

package worker

import "time"

// limitSelf does nothing on Windows: plugctl sets no worker limits there.
func limitSelf(uint64) error { return nil }

// setCPULimit does nothing on Windows.
func setCPULimit(time.Duration) {}
