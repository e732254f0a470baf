package abi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// fileLimit bounds each file of a description: they are a few kilobytes.
const fileLimit = 1 << 20

// MaxCallbacks is the most callbacks a description's table may have. A
// worker makes each once, and purego has 2000 per process, never freed
// (on Windows, going past them ends the process).
const MaxCallbacks = 256

// Error is a fault in a description, at file:line:column when the file
// says where.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Errors are all the faults found in a description, in file order.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads the description whose TOML file is at path (its header is
// named in it, relative to it) and checks it for the running system.
func Load(path string, runtime Target) (*Description, error) {
	src, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src, func(name string) (string, []byte, error) {
		if !filepath.IsAbs(name) {
			name = filepath.Join(filepath.Dir(path), name)
		}
		b, err := readLimited(name)
		return name, b, err
	}, runtime)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, fileLimit+1))
	if err != nil {
		return nil, err
	}
	if len(b) > fileLimit {
		return nil, fmt.Errorf("%s: larger than %d bytes: a description is a few kilobytes", path, fileLimit)
	}
	return b, nil
}

// file is a description's TOML, as written.
type file struct {
	Name     string   `toml:"name"`
	Header   string   `toml:"header"`
	Versions []string `toml:"versions"`
	Entry    struct {
		Symbol      string   `toml:"symbol"`
		Declaration string   `toml:"declaration"`
		Field       string   `toml:"field"`
		Args        []string `toml:"args"`
		Success     string   `toml:"success"`
	} `toml:"entry"`
	Version struct {
		Exchange string `toml:"exchange"`
		Rule     string `toml:"rule"`
		Symbol   string `toml:"symbol"`
		Field    string `toml:"field"`
		Major    string `toml:"major"`
		Minor    string `toml:"minor"`
		Packed   []int  `toml:"packed"`
	} `toml:"version"`
	Table *struct {
		Type    string         `toml:"type"`
		Members map[string]int `toml:"members"`
		Size    string         `toml:"size"`
		Version string         `toml:"version"`
	} `toml:"table"`
	Callbacks map[string]struct {
		Does    string `toml:"does"`
		Context string `toml:"context"`
		Message string `toml:"message"`
		Length  string `toml:"length"`
		Value   int64  `toml:"value"`
	} `toml:"callbacks"`
}

// Parse reads a description: src is the TOML file named name, and
// readHeader returns the header the file names, with the path it is known
// by. It checks the description for runtime, the system whose worker
// would run plugins under it.
func Parse(name string, src []byte, readHeader func(string) (string, []byte, error), runtime Target) (*Description, error) {
	p := &parser{name: name, at: keyPositions(src)}
	p.exactKeys()
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	var f file
	dec := toml.NewDecoder(bytes.NewReader(src))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, tomlError(name, err)
	}
	d := p.build(&f)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	path, hdr, err := readHeader(f.Header)
	if err != nil {
		return nil, Errors{p.errorAt("header", "reading the header: %v", err)}
	}
	d.HeaderFile, d.header, d.at, d.runtime = path, hdr, p.at, runtime
	own, err := d.layout(runtime)
	if err != nil {
		return nil, err
	}
	d.layouts = map[Target]*Layout{runtime: own}
	if errs := p.limits(d, runtime); len(errs) > 0 {
		return nil, errs
	}
	return d, nil
}

// tomlError turns go-toml's errors into Errors at their positions.
func tomlError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var es Errors
		for _, e := range strict.Errors {
			line, col := e.Position()
			es = append(es, &Error{name, line, col, "unknown key " + strings.Join(e.Key(), ".")})
		}
		return es
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := de.Error()
		if m := wrongType().FindStringSubmatch(msg); m != nil {
			msg = "want " + goTypeWords(m[2]) + ", not a TOML " + m[1]
		}
		if k := de.Key(); len(k) > 0 {
			msg = strings.Join(k, ".") + ": " + msg
		}
		return Errors{{name, line, col, msg}}
	}
	return Errors{{File: name, Msg: err.Error()}}
}

// wrongType is go-toml's message for a value of the wrong type, compiled
// on first use.
var wrongType = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`cannot decode TOML (\w+) into .* of type (\S+)$`)
})

// goTypeWords says a Go type of the file's as a description's writer
// knows it.
func goTypeWords(t string) string {
	switch t {
	case "string":
		return "a string"
	case "[]string":
		return "an array of strings"
	case "[]int":
		return "an array of integers"
	case "int", "int64":
		return "an integer"
	}
	if strings.HasPrefix(t, "map[") || strings.HasPrefix(t, "*struct") || strings.HasPrefix(t, "struct") {
		return "a table"
	}
	return t
}

// keyPositions maps each dotted key of a TOML document (tables' keys
// included) to where it is written.
func keyPositions(src []byte) map[string][2]int {
	at := map[string][2]int{}
	var p unstable.Parser
	p.Reset(src)
	var table []string
	keyOf := func(n *unstable.Node) ([]string, *unstable.Node) {
		var parts []string
		var first *unstable.Node
		for it := n.Key(); it.Next(); {
			k := it.Node()
			if first == nil {
				first = k
			}
			parts = append(parts, string(k.Data))
		}
		return parts, first
	}
	record := func(key []string, n *unstable.Node) {
		if n == nil || n.Raw.Length == 0 || int(n.Raw.Offset)+int(n.Raw.Length) > len(src) {
			return
		}
		s := p.Shape(n.Raw)
		k := strings.Join(key, ".")
		if _, ok := at[k]; !ok {
			at[k] = [2]int{s.Start.Line, s.Start.Column}
		}
	}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, first := keyOf(e)
			table = parts
			record(parts, first)
		case unstable.KeyValue:
			parts, first := keyOf(e)
			record(append(slices.Clip(table), parts...), first)
		}
	}
	return at
}

// keys are the keys a description has, by table; "*" stands for a name
// of the writer's (a version, a callback).
var keys = map[string][]string{
	"":              {"name", "header", "versions", "entry", "version", "table", "callbacks"},
	"entry":         {"symbol", "declaration", "field", "args", "success"},
	"version":       {"exchange", "rule", "symbol", "field", "major", "minor", "packed"},
	"table":         {"type", "members", "size", "version"},
	"table.members": {"*"},
	"callbacks":     {"*"},
	"callbacks.*":   {"does", "context", "message", "length", "value"},
}

// exactKeys refuses keys spelt in another case: the decoder matches them
// whatever their case, and a description should read as it works.
func (p *parser) exactKeys() {
	var ks []string
	for k := range p.at {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		parts := strings.Split(k, ".")
		table := ""
		for i, part := range parts {
			allowed, ok := keys[table]
			if !ok {
				break
			}
			if !slices.Contains(allowed, part) && !slices.Contains(allowed, "*") {
				p.errorAt(strings.Join(parts[:i+1], "."), "unknown key %s", strings.Join(parts[:i+1], "."))
				break
			}
			if slices.Contains(allowed, "*") {
				part = "*"
			}
			table = strings.TrimPrefix(table+"."+part, ".")
		}
	}
}

// parser builds a Description from a file and collects its faults.
type parser struct {
	name string
	at   map[string][2]int
	errs Errors
}

// errorAt records a fault at key (its nearest written ancestor when the
// key itself is not written).
func (p *parser) errorAt(key, format string, a ...any) *Error {
	e := &Error{File: p.name, Msg: fmt.Sprintf(format, a...)}
	for k := key; k != ""; {
		if pos, ok := p.at[k]; ok {
			e.Line, e.Col = pos[0], pos[1]
			break
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	p.errs = append(p.errs, e)
	return e
}

func oneOf[T ~string](p *parser, key, value string, allowed []T, def T) T {
	if value == "" {
		return def
	}
	if slices.Contains(allowed, T(value)) {
		return T(value)
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = strconv.Quote(string(a))
	}
	p.errorAt(key, "%s is %q: want one of %s", key, value, strings.Join(names, ", "))
	return def
}

// identifier reports whether s is a C identifier.
func identifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// dotted reports whether s is a dotted path of C identifiers.
func dotted(s string) bool {
	for _, part := range strings.Split(s, ".") {
		if !identifier(part) {
			return false
		}
	}
	return true
}

func (p *parser) build(f *file) *Description {
	d := &Description{Name: f.Name, File: p.name, HeaderFile: f.Header}
	if strings.TrimSpace(f.Name) == "" {
		p.errorAt("name", "name is missing: the ABI's name, as users know it")
	}
	if f.Header == "" {
		p.errorAt("header", "header is missing: the C header that declares the interface, relative to this file")
	}
	if len(f.Versions) == 0 {
		p.errorAt("versions", "versions is missing: the host versions this description defines, oldest first, like [\"1\"] or [\"1.0\", \"1.1\"]")
	}
	for _, s := range f.Versions {
		v, err := ParseVersion(s)
		switch {
		case err != nil:
			p.errorAt("versions", "%v", err)
		case len(d.Versions) > 0 && v.compare(d.Versions[len(d.Versions)-1]) <= 0:
			p.errorAt("versions", "versions must be in order, oldest first, each once: %s after %s", v, d.Versions[len(d.Versions)-1])
		default:
			d.Versions = append(d.Versions, v)
		}
	}

	e := &d.Entry
	e.Symbol, e.Declaration, e.Field = f.Entry.Symbol, f.Entry.Declaration, f.Entry.Field
	symbolName := strings.Contains(e.Symbol, "{")
	switch bare := strings.NewReplacer("{major}", "0", "{minor}", "0").Replace(e.Symbol); {
	case e.Symbol == "":
		p.errorAt("entry.symbol", "entry.symbol is missing: the symbol every plugin exports")
	case !identifier(bare):
		p.errorAt("entry.symbol", "entry.symbol %q is not a C identifier (with {major} and {minor} where the version goes)", e.Symbol)
	}
	if e.Declaration == "" && !symbolName {
		e.Declaration = e.Symbol
	}
	switch {
	case e.Declaration == "" && symbolName:
		p.errorAt("entry.symbol", "entry.symbol has the version in it: entry.declaration must name the header's declaration of it")
	case e.Declaration != "" && !identifier(e.Declaration):
		p.errorAt("entry.declaration", "entry.declaration %q is not a C identifier", e.Declaration)
	}
	if e.Field != "" && !identifier(e.Field) {
		p.errorAt("entry.field", "entry.field %q is not a member name", e.Field)
	}
	for i, a := range f.Entry.Args {
		e.Args = append(e.Args, oneOf(p, fmt.Sprintf("entry.args[%d]", i), a, args, ArgNull))
	}
	e.Success = oneOf(p, "entry.success", f.Entry.Success, successes, "")

	x := &d.Exchange
	x.Kind = oneOf(p, "version.exchange", f.Version.Exchange, exchanges, "")
	if f.Version.Exchange == "" {
		p.errorAt("version.exchange", "version.exchange is missing: how host and plugin agree on a version (callback, descriptor, handshake or symbol-name)")
	}
	x.Rule = oneOf(p, "version.rule", f.Version.Rule, rules, Exact)
	x.Symbol, x.Field, x.Major, x.Minor, x.Packed = f.Version.Symbol, f.Version.Field, f.Version.Major, f.Version.Minor, f.Version.Packed
	for _, k := range []struct{ key, v string }{{"version.field", x.Field}, {"version.major", x.Major}, {"version.minor", x.Minor}} {
		if k.v != "" && !dotted(k.v) {
			p.errorAt(k.key, "%s %q is not a member (a dotted path like clap_version.major)", k.key, k.v)
		}
	}
	if x.Symbol != "" && !identifier(x.Symbol) {
		p.errorAt("version.symbol", "version.symbol %q is not a C identifier", x.Symbol)
	}
	if len(x.Packed) > 0 && (len(x.Packed) != 2 || x.Packed[0] <= x.Packed[1] || x.Packed[1] < 0 || x.Packed[0] > 63) {
		p.errorAt("version.packed", "version.packed must be the bit shifts of the major and the minor version, major's higher, like [24, 16]")
	}
	p.buildExchange(d, symbolName)

	if f.Table != nil {
		t := &Table{Type: f.Table.Type, Size: f.Table.Size, Version: f.Table.Version, Members: map[Version]int{}, Callbacks: map[string]Callback{}}
		if t.Type == "" {
			p.errorAt("table.type", "table.type is missing: the struct of host callbacks the host passes")
		}
		for s, n := range f.Table.Members {
			v, err := ParseVersion(s)
			switch {
			case err != nil:
				p.errorAt("table.members."+s, "table.members: %v", err)
			case !d.HasVersion(v):
				p.errorAt("table.members."+s, "table.members: version %s is not one of versions", v)
			case n < 1:
				p.errorAt("table.members."+s, "table.members: version %s has %d members: at least 1", v, n)
			default:
				t.Members[v] = n
			}
		}
		for name, c := range f.Callbacks {
			key := "callbacks." + name
			cb := Callback{Does: oneOf(p, key+".does", c.Does, does, ""), Context: c.Context, Message: c.Message, Length: c.Length, Value: c.Value}
			if c.Does == "" {
				p.errorAt(key+".does", "%s.does is missing: what the host does when a plugin calls it (version, log, constant or record)", key)
			}
			t.Callbacks[name] = cb
		}
		d.Table = t
	} else if len(f.Callbacks) > 0 {
		p.errorAt("callbacks", "callbacks are described, but there is no [table] to hold them")
	}
	for i, a := range e.Args {
		if a == ArgTable && d.Table == nil {
			p.errorAt(fmt.Sprintf("entry.args[%d]", i), "entry.args passes the table, but there is no [table]")
		}
	}
	return d
}

// buildExchange checks that the exchange has what its kind needs.
func (p *parser) buildExchange(d *Description, symbolName bool) {
	x := &d.Exchange
	needs := func(key, what string, have bool) {
		if !have {
			p.errorAt(key, "version.exchange %q needs %s", x.Kind, what)
		}
	}
	dotted := slices.ContainsFunc(d.Versions, func(v Version) bool { return v.Dotted })
	switch x.Kind {
	case KindDescriptor:
		needs("version.symbol", "version.symbol, the data object that holds the plugin's version", x.Symbol != "")
		needs("version.field", "version.field, or version.major (and version.minor), the members that hold it", x.Field != "" || x.Major != "")
		if x.Field != "" && x.Major != "" {
			p.errorAt("version.field", "version.field and version.major both say where the version is: keep one")
		}
		if x.Minor != "" && x.Major == "" {
			p.errorAt("version.minor", "version.minor without version.major")
		}
		if dotted && x.Field != "" && len(x.Packed) == 0 {
			p.errorAt("version.field", "versions have minor numbers, but version.field is one integer: say how with version.packed, or use version.major and version.minor")
		}
	case KindHandshake:
		needs("version.symbol", "version.symbol, the function the host calls first, which returns the plugin's version", x.Symbol != "")
	case KindSymbolName:
		needs("entry.symbol", "{major} (and {minor}) in entry.symbol, where the version goes", symbolName)
		if x.Rule != Exact {
			p.errorAt("version.rule", "version.exchange \"symbol-name\": the host finds only its own version's symbol, so the rule is exact")
		}
	case KindCallback:
		if x.Symbol != "" || x.Field != "" || x.Major != "" {
			p.errorAt("version.symbol", "version.exchange \"callback\": the plugin asks the host; version.symbol, field, major and minor are for descriptors and handshakes")
		}
	}
	if symbolName && x.Kind != KindSymbolName && x.Kind != "" {
		p.errorAt("entry.symbol", "entry.symbol has {major} or {minor} in it, but version.exchange is %q, not \"symbol-name\"", x.Kind)
	}
	integer := x.Kind == KindCallback || x.Kind == KindHandshake || slices.Contains(d.Entry.Args, ArgVersion)
	if dotted && integer && len(x.Packed) == 0 {
		p.errorAt("version.packed", "versions have minor numbers and travel as one integer: version.packed must say where each goes, like [24, 16]")
	}
}
