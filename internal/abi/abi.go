// Package abi reads plugin ABI descriptions: a C header that declares a
// host's interface (its entry point's prototype, its callback table, its
// descriptor structs) and a TOML file that says what C cannot (the entry
// symbol, what the host passes it, how host and plugin agree on a version
// and what each host callback does). plugctl's own ABI, version 1, is one
// such description (V1).
//
// The header is parsed in pure Go (modernc.org/cc/v4) for the target a
// plugin file is built for, so that struct layouts are the plugin's own;
// nothing here runs a C compiler or reads a system header.
package abi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Description is one plugin ABI, checked: every name it uses is declared
// in its header with a type that fits what it is used for.
type Description struct {
	Name string
	// File is the TOML file's path, and HeaderFile the header's, as given
	// (the built-in one's are under "<built-in>/").
	File, HeaderFile string
	// Versions are the host versions it defines, oldest first; the last
	// is the one a host speaks unless told otherwise.
	Versions []Version
	Entry    Entry
	Exchange Exchange
	// Table is the callback table the host passes; nil when it passes none.
	Table *Table

	header  []byte
	at      map[string][2]int  // where each key of the TOML file is
	runtime Target             // the system it was loaded to run plugins on
	layouts map[Target]*Layout // made already: runtime's, and V1's on every target
}

// Entry is the function the host calls to start a plugin.
type Entry struct {
	// Symbol is the exported symbol's name; with {major} and {minor} in it
	// (the version in the name), the host looks up its own version's.
	Symbol string
	// Declaration names the header's declaration of it: the function, or
	// with Field, the data object whose member Field is the function.
	Declaration string
	Field       string
	// Args say what the host passes for each parameter.
	Args []Arg
	// Success says which results mean the plugin started.
	Success Success
}

// Arg is what the host passes for one of the entry point's parameters.
type Arg string

const (
	ArgContext Arg = "context" // the opaque context the callbacks get back
	ArgTable   Arg = "table"   // a pointer to the callback table
	ArgVersion Arg = "version" // the host's version, as an integer
	ArgPath    Arg = "path"    // the plugin's path, NUL-terminated
	ArgNull    Arg = "null"    // a null pointer
)

var args = []Arg{ArgContext, ArgTable, ArgVersion, ArgPath, ArgNull}

// Success is which results of the entry point mean the plugin started.
type Success string

const (
	Nonzero Success = "nonzero" // true, or a nonzero integer
	Zero    Success = "zero"    // 0, as in "no error"
	NonNull Success = "non-null"
	Any     Success = "any" // the result says nothing (void)
)

var successes = []Success{Nonzero, Zero, NonNull, Any}

// Exchange is how host and plugin agree on a version.
type Exchange struct {
	Kind ExchangeKind
	// Rule is when a plugin built for one version works with a host of
	// another: the host applies it, or with KindCallback, the plugin does.
	Rule Rule
	// Symbol is the data object holding the plugin's version
	// (KindDescriptor), or the function returning it (KindHandshake).
	Symbol string
	// Field is the integer member holding the whole version, or Major and
	// Minor those holding its parts (dotted paths into the object).
	Field, Major, Minor string
	// Packed are the bit shifts of the major and the minor version in an
	// integer that carries both (OBS: 24 and 16); empty: the integer is the
	// major version alone.
	Packed []int
}

// ExchangeKind names one of the patterns hosts use.
type ExchangeKind string

const (
	// KindCallback: a host callback returns the host's version and the
	// plugin decides (plugctl's own ABI).
	KindCallback ExchangeKind = "callback"
	// KindDescriptor: an exported data object holds the plugin's version
	// (GStreamer's gst_plugin_desc, CLAP's clap_entry).
	KindDescriptor ExchangeKind = "descriptor"
	// KindHandshake: the host calls an exported function that returns the
	// plugin's version before it calls the entry point (OBS's
	// obs_module_ver).
	KindHandshake ExchangeKind = "handshake"
	// KindSymbolName: the version is in the entry symbol's name (VLC's
	// vlc_entry__<version>).
	KindSymbolName ExchangeKind = "symbol-name"
)

var exchanges = []ExchangeKind{KindCallback, KindDescriptor, KindHandshake, KindSymbolName}

// Rule is a compatibility rule between a plugin's version and a host's.
type Rule string

const (
	Exact   Rule = "exact"   // the same version
	Minor   Rule = "minor"   // the same major version, the plugin's minor no newer than the host's
	Major   Rule = "major"   // the same major version, any minor (CLAP)
	AtMost  Rule = "at-most" // the plugin's version no newer than the host's
	AtLeast Rule = "at-least"
)

var rules = []Rule{Exact, Minor, Major, AtMost, AtLeast}

// Accepts reports whether a host of version host runs a plugin built for
// version plugin under r.
func (r Rule) Accepts(plugin, host Version) bool {
	switch r {
	case Exact:
		return plugin == host
	case Minor:
		return plugin.Major == host.Major && plugin.Minor <= host.Minor
	case Major:
		return plugin.Major == host.Major
	case AtMost:
		return plugin.compare(host) <= 0
	case AtLeast:
		return plugin.compare(host) >= 0
	}
	return false
}

// Table is the host's callback table: a struct of function pointers, and
// optionally members that carry its size or version.
type Table struct {
	Type string
	// Members is how many of the struct's leading members each version
	// has (tables grow by appending); a version not in it has them all.
	Members map[Version]int
	// Size and Version name members the host fills with the table's size
	// in bytes and with its version (empty: none).
	Size, Version string
	// Callbacks, by member name.
	Callbacks map[string]Callback
}

// Callback is what the host does when a plugin calls one of its callbacks.
type Callback struct {
	Does Does
	// Context is the parameter that must be the context the host passed
	// (empty: none).
	Context string
	// Message and Length are a log callback's text and its length in
	// bytes (no Length: the text is NUL-terminated).
	Message, Length string
	// Value is what a constant or record callback returns.
	Value int64
}

// Does is a host callback's behaviour.
type Does string

const (
	DoesVersion  Does = "version"  // returns the host's version
	DoesLog      Does = "log"      // logs a message, as plugctl's log does
	DoesConstant Does = "constant" // returns Value
	DoesRecord   Does = "record"   // records that it was called, returns Value
)

var does = []Does{DoesVersion, DoesLog, DoesConstant, DoesRecord}

// Version is a host or plugin version: a major and a minor number.
type Version struct {
	Major, Minor uint32
	// Dotted is true for one written MAJOR.MINOR.
	Dotted bool
}

// ParseVersion reads "MAJOR" or "MAJOR.MINOR".
func ParseVersion(s string) (Version, error) {
	maj, min, dotted := strings.Cut(s, ".")
	a, err := strconv.ParseUint(maj, 10, 32)
	if err != nil || maj == "" || (len(maj) > 1 && maj[0] == '0') {
		return Version{}, fmt.Errorf("version %q: want MAJOR or MAJOR.MINOR, decimal numbers", s)
	}
	v := Version{Major: uint32(a)}
	if dotted {
		b, err := strconv.ParseUint(min, 10, 32)
		if err != nil || min == "" || (len(min) > 1 && min[0] == '0') {
			return Version{}, fmt.Errorf("version %q: want MAJOR or MAJOR.MINOR, decimal numbers", s)
		}
		v.Minor, v.Dotted = uint32(b), true
	}
	return v, nil
}

func (v Version) String() string {
	if v.Dotted {
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	}
	return strconv.FormatUint(uint64(v.Major), 10)
}

func (v Version) compare(w Version) int {
	if c := int64(v.Major) - int64(w.Major); c != 0 {
		return int(c)
	}
	return int(int64(v.Minor) - int64(w.Minor))
}

// Encode is v as the integer the exchange carries: packed, or the major
// version alone.
func (e Exchange) Encode(v Version) uint64 {
	if len(e.Packed) == 2 {
		return uint64(v.Major)<<e.Packed[0] | uint64(v.Minor)<<e.Packed[1]
	}
	return uint64(v.Major)
}

// Decode reads an integer the exchange carries as a version.
func (e Exchange) Decode(n uint64) Version {
	if len(e.Packed) == 2 {
		hi, lo := e.Packed[0], e.Packed[1]
		return Version{Major: uint32(n >> hi), Minor: uint32(n >> lo & (1<<(hi-lo) - 1)), Dotted: true}
	}
	return Version{Major: uint32(n)}
}

// SymbolFor is the entry symbol's name for a host of version v.
func (e Entry) SymbolFor(v Version) string {
	if !strings.Contains(e.Symbol, "{") {
		return e.Symbol
	}
	r := strings.NewReplacer("{major}", strconv.FormatUint(uint64(v.Major), 10), "{minor}", strconv.FormatUint(uint64(v.Minor), 10))
	return r.Replace(e.Symbol)
}

// Name is the entry point's name in messages, for a host of version v:
// its symbol, or the descriptor's member ("gst_plugin_desc.plugin_init").
func (e Entry) Name(v Version) string {
	if e.Field != "" {
		return e.SymbolFor(v) + "." + e.Field
	}
	return e.SymbolFor(v)
}

// Newest is the newest version the description defines: the one a host
// speaks by default.
func (d *Description) Newest() Version { return d.Versions[len(d.Versions)-1] }

// Builtin reports whether d is plugctl's own ABI, built in (V1).
func (d *Description) Builtin() bool { return strings.HasPrefix(d.File, BuiltIn) }

// HasVersion reports whether d defines v.
func (d *Description) HasVersion(v Version) bool { return slices.Contains(d.Versions, v) }
