package abi

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"modernc.org/cc/v4"
)

// Check parses the header for target t and checks that every name the
// description uses is declared there, with a type that fits its use.
func (d *Description) Check(t Target) error {
	_, err := d.layout(t)
	return err
}

// cPosition is the position cc/v4 starts each of its messages with,
// compiled on first use: plugctl's start should not pay for it.
var cPosition = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(.*?):(\d+):(\d+): (.*)$`) })

// headerErrors splits cc/v4's messages into Errors. Those it places
// after the header (in the declaration parseHeader adds) mean the header
// ended inside a declaration, and are said once, so.
func headerErrors(file string, err error) Errors {
	var es Errors
	end := false
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimPrefix(line, file+": ")
		m := cPosition().FindStringSubmatch(line)
		switch {
		case m != nil && m[1] == file:
			l, _ := strconv.Atoi(m[2])
			c, _ := strconv.Atoi(m[3])
			es = append(es, &Error{file, l, c, m[4]})
		case strings.HasPrefix(line, endSource+":"):
			end = true
		default:
			es = append(es, &Error{File: file, Msg: line})
		}
	}
	if end && len(es) == 0 {
		es = append(es, &Error{File: file, Msg: "the header ends inside a declaration"})
	}
	return es
}

// checker checks a description against its header parsed for one target.
type checker struct {
	d      *Description
	h      *header
	errs   Errors
	layout *Layout
}

func (c *checker) errorAt(key, format string, a ...any) {
	p := &parser{name: c.d.File, at: c.d.at}
	e := p.errorAt(key, format, a...)
	if c.h.target != c.d.runtime {
		e.Msg = "for " + c.h.target.String() + ": " + e.Msg
	}
	c.errs = append(c.errs, e)
}

// layout parses the header for t and lays the description out there.
func (d *Description) layout(t Target) (*Layout, error) {
	h, err := parseHeader(d.HeaderFile, d.header, t)
	if err != nil {
		return nil, headerErrors(d.HeaderFile, err)
	}
	c := &checker{d: d, h: h, layout: &Layout{Target: t}}
	c.entry()
	c.exchange()
	c.table()
	if len(c.errs) > 0 {
		return nil, c.errs
	}
	return c.layout, nil
}

// isPointer, isInteger and isFloat classify scalar types.
func isPointer(t cc.Type) bool { return t.Kind() == cc.Ptr }

func isInteger(t cc.Type) bool {
	return cc.IsIntegerType(t) || t.Kind() == cc.Bool || t.Kind() == cc.Enum
}

func isFloat(t cc.Type) bool { return cc.IsFloatingPointType(t) }

// params are fn's parameters; (void) is none.
func params(fn *cc.FunctionType) []*cc.Parameter {
	ps := fn.Parameters()
	if len(ps) == 1 && ps[0].Type().Kind() == cc.Void {
		return nil
	}
	return ps
}

// function returns t as a function type: t itself, or what a pointer
// points to.
func function(t cc.Type) (*cc.FunctionType, bool) {
	if p, ok := t.(*cc.PointerType); ok {
		t = p.Elem()
	}
	f, ok := t.(*cc.FunctionType)
	return f, ok
}

func (c *checker) entry() {
	e := c.d.Entry
	key := "entry.declaration"
	if _, ok := c.d.at[key]; !ok {
		key = "entry.symbol"
	}
	decl, ok := c.h.decls[e.Declaration]
	if !ok || decl.IsTypename() {
		c.errorAt(key, "%s is not declared in %s: declare the entry point there", e.Declaration, c.d.HeaderFile)
		return
	}
	var fn *cc.FunctionType
	if e.Field == "" {
		f, ok := decl.Type().(*cc.FunctionType)
		if !ok {
			c.errorAt(key, "%s is declared as %s, not as a function; for a data object that holds the entry point, say which member with entry.field", e.Declaration, cType(decl.Type(), ""))
			return
		}
		fn = f
	} else {
		st, ok := decl.Type().(*cc.StructType)
		if !ok {
			c.errorAt("entry.field", "%s is declared as %s: entry.field needs a struct object", e.Declaration, cType(decl.Type(), ""))
			return
		}
		m := st.FieldByName(e.Field)
		if m == nil {
			c.errorAt("entry.field", "%s has no member %s", cType(st, ""), e.Field)
			return
		}
		f, ok := function(m.Type())
		if !ok || !isPointer(m.Type()) {
			c.errorAt("entry.field", "%s.%s is %s, not a function pointer", e.Declaration, e.Field, cType(m.Type(), ""))
			return
		}
		fn = f
		c.layout.EntryOffset = m.Offset()
	}
	name := e.Declaration
	if e.Field != "" {
		name += "." + e.Field
	}
	c.layout.Entry = cType(fn, name)
	params := params(fn)
	if len(params) != len(e.Args) {
		c.errorAt("entry.args", "entry.args has %d values, but %s has %d parameters: say what the host passes for each (%s)", len(e.Args), e.Declaration, len(params), joinQuoted(args))
		return
	}
	if fn.IsVariadic() {
		c.errorAt(key, "%s is variadic: the host calls it with fixed arguments", e.Declaration)
	}
	for i, a := range e.Args {
		pt := params[i].Type()
		k := fmt.Sprintf("entry.args[%d]", i)
		switch a {
		case ArgContext, ArgNull:
			if !isPointer(pt) {
				c.errorAt(k, "%s: parameter %d is %s; the host passes %s as a pointer", e.Declaration, i+1, cType(pt, ""), a)
			}
		case ArgPath:
			if p, ok := pt.(*cc.PointerType); !ok || p.Elem().Size() != 1 {
				c.errorAt(k, "%s: parameter %d is %s; the path is a pointer to char", e.Declaration, i+1, cType(pt, ""))
			}
		case ArgVersion:
			if !isInteger(pt) {
				c.errorAt(k, "%s: parameter %d is %s; the version is an integer", e.Declaration, i+1, cType(pt, ""))
			}
		case ArgTable:
			p, ok := pt.(*cc.PointerType)
			if !ok {
				c.errorAt(k, "%s: parameter %d is %s; the table is passed as a pointer", e.Declaration, i+1, cType(pt, ""))
			} else if tt, ok := c.h.lookupType(c.d.Table.Type); ok && !p.Elem().IsCompatible(tt) && p.Elem().Kind() != cc.Void {
				c.errorAt(k, "%s: parameter %d points to %s, not to the table, %s", e.Declaration, i+1, cType(p.Elem(), ""), c.d.Table.Type)
			}
		}
	}
	r := fn.Result()
	success := e.Success
	switch {
	case isFloat(r):
		c.errorAt(key, "%s returns %s: plugctl reads integer, bool and pointer results", e.Declaration, cType(r, ""))
	case success == "":
		switch {
		case r.Kind() == cc.Void:
			success = Any
		case isPointer(r):
			success = NonNull
		default:
			success = Nonzero
		}
	case (success == Nonzero || success == Zero) && !isInteger(r):
		c.errorAt("entry.success", "entry.success %q needs an integer or bool result; %s returns %s", success, e.Declaration, cType(r, ""))
	case success == NonNull && !isPointer(r):
		c.errorAt("entry.success", "entry.success \"non-null\" needs a pointer result; %s returns %s", e.Declaration, cType(r, ""))
	}
	c.layout.Success = success
	if r.Kind() != cc.Void {
		c.layout.ResultSize = r.Size()
	}
}

// member finds the integer member at a dotted path in t.
func member(t cc.Type, path string) (off int64, m cc.Type, err error) {
	for _, name := range strings.Split(path, ".") {
		st, ok := t.(*cc.StructType)
		if !ok {
			return 0, nil, fmt.Errorf("%s is not a struct, so it has no member %s", cType(t, ""), name)
		}
		f := st.FieldByName(name)
		if f == nil {
			return 0, nil, fmt.Errorf("%s has no member %s", cType(t, ""), name)
		}
		if f.IsBitfield() {
			return 0, nil, fmt.Errorf("%s is a bit-field: plugctl reads whole integers", name)
		}
		off += f.Offset()
		t = f.Type()
	}
	return off, t, nil
}

func (c *checker) exchange() {
	x := c.d.Exchange
	switch x.Kind {
	case KindDescriptor:
		decl, ok := c.h.decls[x.Symbol]
		if !ok || decl.IsTypename() {
			c.errorAt("version.symbol", "%s is not declared in %s: declare it there (extern const TYPE %s;)", x.Symbol, c.d.HeaderFile, x.Symbol)
			return
		}
		if _, fn := decl.Type().(*cc.FunctionType); fn {
			c.errorAt("version.symbol", "%s is a function: a descriptor is a data object (for a function that returns the version, version.exchange is \"handshake\")", x.Symbol)
			return
		}
		c.layout.DescriptorSize = decl.Type().Size()
		for _, f := range []struct {
			key, path string
			at        *Field
		}{{"version.field", x.Field, &c.layout.VersionField}, {"version.major", x.Major, &c.layout.MajorField}, {"version.minor", x.Minor, &c.layout.MinorField}} {
			if f.path == "" {
				continue
			}
			off, t, err := member(decl.Type(), f.path)
			switch {
			case err != nil:
				c.errorAt(f.key, "%s: %v", x.Symbol, err)
			case !isInteger(t) || t.Size() > 8:
				c.errorAt(f.key, "%s.%s is %s, not an integer", x.Symbol, f.path, cType(t, ""))
			default:
				*f.at = Field{Path: f.path, Offset: off, Size: t.Size()}
			}
		}
	case KindHandshake:
		decl, ok := c.h.decls[x.Symbol]
		fn, isFn := function(typeOf(decl, ok))
		switch {
		case !ok || decl.IsTypename():
			c.errorAt("version.symbol", "%s is not declared in %s: declare the handshake function there", x.Symbol, c.d.HeaderFile)
		case !isFn || isPointer(decl.Type()):
			c.errorAt("version.symbol", "%s is declared as %s, not as a function", x.Symbol, cType(decl.Type(), ""))
		case len(params(fn)) != 0 || fn.IsVariadic():
			c.errorAt("version.symbol", "%s takes parameters: the host calls the handshake with none", x.Symbol)
		case !isInteger(fn.Result()):
			c.errorAt("version.symbol", "%s returns %s: the handshake returns the plugin's version, an integer", x.Symbol, cType(fn.Result(), ""))
		default:
			c.layout.Handshake = cType(fn, x.Symbol)
		}
	}
}

func typeOf(d *cc.Declarator, ok bool) cc.Type {
	if !ok || d == nil {
		return nil
	}
	return d.Type()
}

func (c *checker) table() {
	t := c.d.Table
	if t == nil {
		if c.d.Exchange.Kind == KindCallback {
			c.errorAt("version.exchange", "version.exchange \"callback\" needs a [table] with a callback that does \"version\"")
		}
		return
	}
	tt, ok := c.h.lookupType(t.Type)
	if !ok {
		c.errorAt("table.type", "%s is not declared in %s (a typedef name, or \"struct NAME\")", t.Type, c.d.HeaderFile)
		return
	}
	st, ok := tt.(*cc.StructType)
	if !ok || st.IsIncomplete() {
		c.errorAt("table.type", "%s is %s, not a complete struct", t.Type, cType(tt, ""))
		return
	}
	c.layout.TableSize = st.Size()
	members := map[string]bool{}
	hasVersion := false
	for i := 0; i < st.NumFields(); i++ {
		f := st.FieldByIndex(i)
		name := f.Name()
		members[name] = true
		m := Member{Name: name, Offset: f.Offset(), Size: f.Type().Size()}
		switch {
		case name == t.Size || name == t.Version:
			if !isInteger(f.Type()) {
				c.errorAt("table.size", "%s.%s holds the table's size or version, so it is an integer; it is %s", t.Type, name, cType(f.Type(), ""))
			}
			m.Type = cType(f.Type(), name)
		default:
			fn, isFn := function(f.Type())
			if !isFn || !isPointer(f.Type()) {
				c.errorAt("table.type", "%s.%s is %s: a table holds function pointers (and the members table.size and table.version name)", t.Type, name, cType(f.Type(), ""))
				continue
			}
			m.Type = cType(fn, "(*"+name+")")
			cb, ok := t.Callbacks[name]
			if !ok {
				c.errorAt("table.type", "%s.%s has no [callbacks.%s]: say what the host does when a plugin calls it", t.Type, name, name)
				continue
			}
			m.Does = cb.Does
			for _, p := range params(fn) {
				m.Params = append(m.Params, Param{Name: p.Name(), Size: p.Type().Size(), Float: isFloat(p.Type()),
					Pointer: isPointer(p.Type()), Signed: isInteger(p.Type()) && cc.IsSignedInteger(p.Type())})
			}
			hasVersion = hasVersion || cb.Does == DoesVersion
			c.callback(name, fn, cb)
		}
		c.layout.Members = append(c.layout.Members, m)
	}
	var extra []string
	for name := range t.Callbacks {
		if !members[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		c.errorAt("callbacks."+name, "[callbacks.%s]: %s has no member %s", name, t.Type, name)
	}
	for _, k := range []struct{ key, name string }{{"table.size", t.Size}, {"table.version", t.Version}} {
		if k.name != "" && !members[k.name] {
			c.errorAt(k.key, "%s: %s has no member %s", k.key, t.Type, k.name)
		}
	}
	for v, n := range t.Members {
		if n > st.NumFields() {
			c.errorAt("table.members."+v.String(), "table.members: version %s has %d members, but %s has %d", v, n, t.Type, st.NumFields())
		}
	}
	if c.d.Exchange.Kind == KindCallback && !hasVersion {
		c.errorAt("version.exchange", "version.exchange \"callback\" needs a callback that does \"version\" in %s", t.Type)
	}
}

// param finds a callback's parameter by name, or by its index.
func param(fn *cc.FunctionType, name string) (int, cc.Type, bool) {
	for i, p := range params(fn) {
		if p.Name() == name || strconv.Itoa(i) == name {
			return i, p.Type(), true
		}
	}
	return 0, nil, false
}

func (c *checker) callback(name string, fn *cc.FunctionType, cb Callback) {
	key := "callbacks." + name
	r := fn.Result()
	if cb.Context != "" {
		if _, t, ok := param(fn, cb.Context); !ok {
			c.errorAt(key+".context", "%s has no parameter %s", name, cb.Context)
		} else if !isPointer(t) {
			c.errorAt(key+".context", "%s's parameter %s is %s; the context is a pointer", name, cb.Context, cType(t, ""))
		}
	}
	switch cb.Does {
	case DoesVersion:
		if !isInteger(r) {
			c.errorAt(key+".does", "%s returns %s; a callback that returns the version returns an integer", name, cType(r, ""))
		}
	case DoesLog:
		if cb.Message == "" {
			c.errorAt(key+".message", "%s.message is missing: the parameter that points to the text", key)
		} else if _, t, ok := param(fn, cb.Message); !ok {
			c.errorAt(key+".message", "%s has no parameter %s", name, cb.Message)
		} else if !isPointer(t) {
			c.errorAt(key+".message", "%s's parameter %s is %s; the text is a pointer", name, cb.Message, cType(t, ""))
		}
		if cb.Length != "" {
			if _, t, ok := param(fn, cb.Length); !ok {
				c.errorAt(key+".length", "%s has no parameter %s", name, cb.Length)
			} else if !isInteger(t) {
				c.errorAt(key+".length", "%s's parameter %s is %s; the length is an integer", name, cb.Length, cType(t, ""))
			}
		}
	case DoesConstant:
		if r.Kind() == cc.Void {
			c.errorAt(key+".does", "%s returns nothing: a constant callback returns its value", name)
		}
	}
	if cb.Value != 0 && isPointer(r) {
		c.errorAt(key+".value", "%s returns a pointer: the only value it may return is 0 (NULL)", name)
	}
	if cb.Does != DoesLog && (cb.Message != "" || cb.Length != "") {
		c.errorAt(key+".message", "%s.message and .length are for callbacks that do \"log\"", key)
	}
}

// limits refuses callbacks purego cannot make on target (the worker's
// system): each is refused before any plugin runs, never met as a panic.
func (p *parser) limits(d *Description, target Target) Errors {
	if d.Table == nil {
		return nil
	}
	h, err := parseHeader(d.HeaderFile, d.header, target)
	if err != nil {
		return headerErrors(d.HeaderFile, err)
	}
	tt, _ := h.lookupType(d.Table.Type)
	st, _ := tt.(*cc.StructType)
	if st == nil {
		return nil
	}
	n := 0
	for i := 0; i < st.NumFields(); i++ {
		f := st.FieldByIndex(i)
		fn, ok := function(f.Type())
		if !ok {
			continue
		}
		n++
		key := "callbacks." + f.Name()
		if why := unsupported(fn, target); why != "" {
			p.errorAt(key, "%s cannot be a host callback on %s: %s", f.Name(), target, why)
		}
	}
	if n > MaxCallbacks {
		p.errorAt("table.type", "%s has %d callbacks: at most %d (a worker makes each once, from 2000 slots per process that are never freed)", d.Table.Type, n, MaxCallbacks)
	}
	return p.errs
}

// unsupported says why purego cannot make fn a callback on target, or "".
func unsupported(fn *cc.FunctionType, target Target) string {
	if fn.IsVariadic() {
		return "it is variadic (no C variadic callbacks)"
	}
	if isFloat(fn.Result()) {
		return "it returns " + cType(fn.Result(), "") + " (no floating-point results)"
	}
	r := fn.Result()
	if r.Kind() == cc.Struct || r.Kind() == cc.Union {
		return "it returns a struct by value"
	}
	ptr := int64(8)
	if target.Arch == "386" {
		ptr = 4
	}
	for i, p := range params(fn) {
		t := p.Type()
		switch {
		case t.Kind() == cc.Struct || t.Kind() == cc.Union:
			return fmt.Sprintf("parameter %d is a struct by value", i+1)
		case target.OS == "windows" && isFloat(t) && target.Arch != "386":
			return fmt.Sprintf("parameter %d is %s (no floating-point arguments on Windows)", i+1, cType(t, ""))
		case target.OS == "windows" && t.Size() > ptr:
			return fmt.Sprintf("parameter %d is %s, wider than a pointer", i+1, cType(t, ""))
		}
	}
	if target.OS == "windows" && r.Kind() != cc.Void && r.Size() > ptr {
		return "its result is wider than a pointer"
	}
	return ""
}

func joinQuoted[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
