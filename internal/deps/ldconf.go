package deps

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxConfDepth bounds include nesting in ld.so.conf, so that a file that
// includes itself (or a cycle of them) ends.
const maxConfDepth = 16

// ReadLdSoConf returns the library directories /etc/ld.so.conf (or the file
// at path) lists, in order, following its include lines. ldconfig builds the
// loader's cache from these directories. Unreadable files are skipped: the
// loader works without them.
//
// The format is ldconfig's: one or more directories per line, separated by
// spaces, tabs, commas or colons; '#' starts a comment; "include GLOB" reads
// the matching files in sorted order, a relative GLOB being relative to the
// including file's directory; "hwcap" lines are ignored.
func ReadLdSoConf(path string) []string {
	var dirs []string
	seen := map[string]bool{}
	readConf(path, 0, seen, &dirs)
	return dirs
}

func readConf(path string, depth int, seen map[string]bool, dirs *[]string) {
	if depth > maxConfDepth || seen[path] {
		return
	}
	seen[path] = true
	fh, err := os.Open(path)
	if err != nil {
		return
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "include":
			for _, pattern := range fields[1:] {
				if !filepath.IsAbs(pattern) {
					pattern = filepath.Join(filepath.Dir(path), pattern)
				}
				matches, _ := filepath.Glob(pattern)
				slices.Sort(matches)
				for _, m := range matches {
					readConf(m, depth+1, seen, dirs)
				}
			}
			continue
		case "hwcap":
			continue
		}
		for _, d := range strings.FieldsFunc(line, func(r rune) bool {
			return r == ' ' || r == '\t' || r == ',' || r == ':'
		}) {
			// "dir=TYPE" is an old library-type annotation.
			d, _, _ = strings.Cut(d, "=")
			d = filepath.Clean(d)
			if filepath.IsAbs(d) && !slices.Contains(*dirs, d) {
				*dirs = append(*dirs, d)
			}
		}
	}
}
