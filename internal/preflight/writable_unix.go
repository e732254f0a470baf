//go:build unix

package preflight

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/report"
)

// writable flags a plugin file, or the directory holding it, that users
// other than its owner may write: any of them could replace the code that
// is loaded. A directory with the sticky bit (like /tmp) lets others add
// files but not replace this one, so only its file is checked.
func (r *Report) writable(path string, dirs *Dirs) {
	flag := func(p, what string, m os.FileMode) {
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
	if r.file != nil {
		flag(path, "the plugin file", r.file.Mode)
	}
	dir := filepath.Dir(path)
	d := dirs.lookup(dir, learnDir)
	if d.statOK {
		flag(dir, "the plugin's directory", d.mode)
	}
	// Where the file really is: through its directory's links, and its own.
	real := ""
	// Opening it found out whether its path is a link (or could not
	// tell: PathIsLink).
	if r.file != nil && !r.file.PathIsLink {
		if d.realOK {
			real = filepath.Join(d.real, filepath.Base(path))
		}
	} else if p, err := filepath.EvalSymlinks(path); err == nil {
		real = p
	}
	if real != "" && filepath.Dir(real) != dir {
		if filepath.Dir(real) != dirs.abs(dir) {
			rd := dirs.lookup(filepath.Dir(real), learnDir)
			if rd.statOK {
				flag(filepath.Dir(real), "the directory of the file it links to,", rd.mode)
			}
		}
	}
}

// Dirs keeps what Check learnt of directories, for the files of one run:
// each one's mode and real path, the working directory, and a descriptor
// to open its files by (inspect.Dirs). Its zero value is ready; it is safe
// for concurrent use; Close it when the run is over.
type Dirs struct {
	m     sync.Map     // directory -> dirInfo
	files inspect.Dirs // where the run's files are opened

	wdOnce sync.Once
	wd     string
	wdErr  error
}

// abs is path made absolute, as filepath.Abs makes it, or path itself
// where that fails. The working directory is asked once per run:
// filepath.Abs asks on every call, with two stats, and Check needs a
// file's absolute path for its libraries, its findings and its directory
// (plugctl never changes its working directory).
func (c *Dirs) abs(path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	if c == nil {
		return absOrSelf(path)
	}
	c.wdOnce.Do(func() { c.wd, c.wdErr = os.Getwd() })
	if c.wdErr != nil {
		return path
	}
	return filepath.Join(c.wd, path)
}

// learnDir looks at a directory: its mode, and its path with links
// resolved.
func learnDir(dir string) dirInfo {
	var d dirInfo
	if st, err := os.Stat(dir); err == nil {
		d.mode, d.statOK = st.Mode(), true
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		d.real, d.realOK = real, true
	}
	return d
}

// dirInfo is what Check learns of a directory: its mode, and where it
// really is (links resolved).
type dirInfo struct {
	mode   os.FileMode
	statOK bool
	real   string
	realOK bool
}

// lookup returns what is known of dir, learning it first if need be.
func (c *Dirs) lookup(dir string, learn func(string) dirInfo) dirInfo {
	if c == nil {
		return learn(dir)
	}
	if v, ok := c.m.Load(dir); ok {
		return v.(dirInfo)
	}
	d := learn(dir)
	c.m.Store(dir, d)
	return d
}
