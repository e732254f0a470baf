package preflight

import "path/filepath"

// absOrSelf is path made absolute, or path itself where that fails.
func absOrSelf(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
