//go:build unix

package preflight

import (
	"os"
	"path/filepath"

	"github.com/plugctl/plugctl/internal/report"
)

// writable flags a plugin file, or the directory holding it, that users
// other than its owner may write: any of them could replace the code that
// is loaded. A directory with the sticky bit (like /tmp) lets others add
// files but not replace this one, so only its file is checked.
func (r *Report) writable(path string) {
	check := func(p, what string) {
		st, err := os.Stat(p)
		if err != nil {
			return
		}
		m := st.Mode()
		if m&0o022 == 0 || m.IsDir() && m&os.ModeSticky != 0 {
			return
		}
		who := "other users"
		if m&0o002 == 0 {
			who = "its group"
		}
		r.add(report.Warning, report.Writable, what+" "+p+" is writable by "+who+" ("+m.String()+"): anyone who can write it can replace the code plugctl loads",
			"chmod go-w "+p)
	}
	check(path, "the plugin file")
	dir := filepath.Dir(path)
	check(dir, "the plugin's directory")
	if real, err := filepath.EvalSymlinks(path); err == nil && filepath.Dir(real) != dir {
		if abs, err := filepath.Abs(dir); err != nil || filepath.Dir(real) != abs {
			check(filepath.Dir(real), "the directory of the file it links to,")
		}
	}
}
