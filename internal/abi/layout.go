package abi

import (
	"encoding/binary"
	"strconv"
	"strings"

	"modernc.org/cc/v4"
)

// Layout is a description laid out for one target: the prototypes as C
// writes them, and where each member is.
type Layout struct {
	Target Target
	// Entry is the entry point's prototype; with Entry.Field, the
	// member's offset in the object is EntryOffset.
	Entry       string
	EntryOffset int64
	Success     Success
	// ResultSize is the size of the entry point's result in bytes (0 for
	// void): only that much of the result register is the result.
	ResultSize int64
	// Handshake is the handshake function's prototype.
	Handshake string
	// DescriptorSize is the size of the descriptor object, and the fields
	// where the version is in it.
	DescriptorSize                       int64
	VersionField, MajorField, MinorField Field
	// TableSize and Members are the callback table's.
	TableSize int64
	Members   []Member
}

// Field is an integer member of a descriptor.
type Field struct {
	Path         string
	Offset, Size int64
}

// Member is one member of the callback table.
type Member struct {
	Name         string
	Offset, Size int64
	Type         string // as C declares it
	Does         Does   // what the host does (callbacks only)
	// Params are a callback's parameters, as the caller passes them.
	Params []Param
}

// Param is one parameter of a callback: its name (empty when the header
// gives none), its size in bytes, and whether it is floating-point, a
// pointer or a signed integer.
type Param struct {
	Name                   string
	Size                   int64
	Float, Pointer, Signed bool
}

// Layout lays d out for target t. The layout on the system d was loaded
// for is made once; do not change it.
func (d *Description) Layout(t Target) (*Layout, error) {
	if l := d.layouts[t]; l != nil {
		return l, nil
	}
	return d.layout(t)
}

// cType writes t as C declares something named name of that type ("" for
// an abstract declarator): "uint32_t (*get_version)(void *ctx)".
// Qualifiers such as const are not kept.
func cType(t cc.Type, name string) string {
	if t == nil {
		return "?"
	}
	if td := t.Typedef(); td != nil && t.Kind() != cc.Function {
		return join(td.Name(), name)
	}
	switch x := t.(type) {
	case *cc.PointerType:
		inner := "*" + name
		if k := x.Elem().Kind(); k == cc.Function || k == cc.Array {
			inner = "(" + inner + ")"
		}
		return cType(x.Elem(), inner)
	case *cc.FunctionType:
		var ps []string
		for _, p := range params(x) {
			ps = append(ps, cType(p.Type(), p.Name()))
		}
		if x.IsVariadic() {
			ps = append(ps, "...")
		}
		if len(ps) == 0 {
			ps = []string{"void"}
		}
		return cType(x.Result(), name+"("+strings.Join(ps, ", ")+")")
	case *cc.ArrayType:
		n := ""
		if x.Len() >= 0 {
			n = strconv.FormatInt(x.Len(), 10)
		}
		return cType(x.Elem(), name+"["+n+"]")
	case *cc.StructType:
		if tag := x.Tag(); tag.SrcStr() != "" {
			return join(tagName(x)+" "+tag.SrcStr(), name)
		}
		return join(tagName(x)+" {...}", name)
	case *cc.UnionType:
		if tag := x.Tag(); tag.SrcStr() != "" {
			return join("union "+tag.SrcStr(), name)
		}
		return join("union {...}", name)
	case *cc.EnumType:
		if tag := x.Tag(); tag.SrcStr() != "" {
			return join("enum "+tag.SrcStr(), name)
		}
	}
	return join(kindName(t.Kind()), name)
}

func join(base, declarator string) string {
	if declarator == "" {
		return base
	}
	if strings.HasPrefix(declarator, "*") || strings.HasPrefix(declarator, "(") {
		return base + " " + declarator
	}
	if strings.HasPrefix(declarator, "[") {
		return base + declarator
	}
	return base + " " + declarator
}

// kindName spells a basic type as C does.
func kindName(k cc.Kind) string {
	switch k {
	case cc.Bool:
		return "bool" // <stdbool.h>'s name, which headers use
	case cc.Void:
		return "void"
	}
	return k.String()
}

// DescriptorVersion reads the version a descriptor holds: data is the
// descriptor's bytes laid out as l says, in byte order order. from says
// which members it came from. data must be at least l.DescriptorSize bytes.
func (d *Description) DescriptorVersion(l *Layout, data []byte, order binary.ByteOrder) (v Version, from string) {
	read := func(f Field) uint64 {
		b := data[f.Offset : f.Offset+f.Size]
		switch len(b) {
		case 1:
			return uint64(b[0])
		case 2:
			return uint64(order.Uint16(b))
		case 4:
			return uint64(order.Uint32(b))
		}
		return order.Uint64(b)
	}
	sym := d.Exchange.Symbol
	if l.VersionField.Path != "" {
		return d.Exchange.Decode(read(l.VersionField)), sym + "." + l.VersionField.Path
	}
	v = Version{Major: uint32(read(l.MajorField))}
	from = sym + "." + l.MajorField.Path
	if l.MinorField.Path != "" {
		v.Minor, v.Dotted = uint32(read(l.MinorField)), true
		from += " and ." + l.MinorField.Path
	}
	return v, from
}

// Result says, as C source writes it, the entry point's result that means
// the plugin started (started) or refused: "true" or "false" for a bool,
// "0", "nonzero", "NULL"; "" for a void entry point, which always starts.
func (l *Layout) Result(started bool) string {
	switch l.Success {
	case Nonzero:
		switch {
		case l.ResultSize == 1 && started:
			return "true"
		case l.ResultSize == 1:
			return "false"
		case started:
			return "nonzero"
		}
		return "0"
	case Zero:
		if started {
			return "0"
		}
		return "nonzero"
	case NonNull:
		if started {
			return "non-NULL"
		}
		return "NULL"
	}
	return ""
}

// Started is the reason a plugin passes when its entry point, as a host
// of version v has it, returns: "init_plugin returned true".
func (d *Description) Started(l *Layout, v Version) string {
	return strings.TrimSpace(d.Entry.Name(v) + " returned " + l.Result(true))
}
