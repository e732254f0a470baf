package worker

import (
	"fmt"
	"runtime"
	"strings"
)

// Inherited lists the variables a worker takes from plugctl's environment,
// when they are set: what the platform's loader and C library need to find
// libraries, temporary files and the locale, and GOCOVERDIR, so that a
// coverage-instrumented plugctl (make cover-e2e) counts its workers' code
// too. Everything else, LD_PRELOAD included, is left out unless asked for
// with Environment's extra.
var Inherited = []string{
	"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL",
	"LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH",
	"SYSTEMROOT", "WINDIR", "TEMP", "TMP", "GOCOVERDIR",
}

// Environment returns a worker's environment: the Inherited variables that
// lookup finds, then each of extra, which is either NAME=VALUE or NAME (that
// variable from lookup, left out when it is unset). A later setting of a
// name replaces an earlier one.
func Environment(lookup func(string) (string, bool), extra []string) ([]string, error) {
	var order []string
	vals := map[string]string{}
	set := func(k, v string) {
		key := k
		if runtime.GOOS == "windows" {
			key = strings.ToUpper(k)
		}
		if _, ok := vals[key]; !ok {
			order = append(order, key)
		}
		vals[key] = k + "=" + v
	}
	for _, k := range Inherited {
		if v, ok := lookup(k); ok {
			set(k, v)
		}
	}
	for _, e := range extra {
		k, v, hasValue := strings.Cut(e, "=")
		if k == "" || strings.ContainsAny(k, "\x00") || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("%q: want NAME=VALUE or NAME", e)
		}
		if !hasValue {
			var ok bool
			if v, ok = lookup(k); !ok {
				continue
			}
		}
		set(k, v)
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, vals[k])
	}
	return env, nil
}
