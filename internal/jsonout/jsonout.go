// Package jsonout writes a value as indented JSON, byte for byte what
// encoding/json's Encoder writes with SetIndent("", "  "), as it goes.
//
// The Encoder builds the whole compact text in one buffer grown by
// doubling, then an indented copy of it, then writes that: for a report of
// a large library (4 MB of JSON) the buffers were a third of the page
// faults of plugctl inspect. Here structs, slices, arrays and pointers are
// walked as encoding/json walks them, strings, integers and booleans are
// written as it writes them, and each other value (a float, a map,
// anything with its own JSON or text encoding) is encoded by encoding/json
// into one small reused buffer, indented and written. A large array's
// second half is written into memory on another goroutine while the first
// is written out (halvesFrom).
package jsonout

import (
	"bufio"
	"bytes"
	"encoding"
	"encoding/binary"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Write writes v to w as JSON indented by two spaces, with a newline after
// it. An error is encoding/json's (a value it cannot encode) or w's; when
// encoding/json refuses a value inside v, what came before that value may
// already have been written.
func Write(w io.Writer, v any) error {
	bw, ok := w.(*bufio.Writer)
	if !ok || bw.Size() < 4096 {
		bw = bufio.NewWriterSize(w, 64<<10)
	}
	e := newEncoder(bw, 0)
	if err := e.value(reflect.ValueOf(v), 0); err != nil {
		return err
	}
	_ = bw.WriteByte('\n')
	return bw.Flush()
}

// maxDepth is how deep Write walks before handing the rest to
// encoding/json, which finds a pointer cycle (an error) where a walk would
// recurse for ever.
const maxDepth = 200

type encoder struct {
	ind     indenter
	enc     *json.Encoder // writes into scratch
	scratch bytes.Buffer
	buf     []byte // a scalar's text
	second  bool   // it writes the second half of an array (halvesFrom)
}

func newEncoder(w *bufio.Writer, depth int) *encoder {
	e := &encoder{ind: indenter{w: w, depth: depth}}
	e.enc = json.NewEncoder(&e.scratch)
	return e
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

// value writes v, walking what encoding/json would walk the same way and
// handing it the rest.
func (e *encoder) value(v reflect.Value, depth int) error {
	if !v.IsValid() {
		e.ind.write([]byte("null"))
		return nil
	}
	t := v.Type()
	self, pointerSelf := encodesItself(t)
	if depth > maxDepth || self || v.CanAddr() && pointerSelf {
		// encoding/json calls a pointer method of a value it can
		// address.
		return e.leaf(v)
	}
	switch t.Kind() {
	case reflect.String:
		e.buf = appendString(e.buf[:0], v.String())
		e.ind.scalar(e.buf)
		return nil
	case reflect.Bool:
		e.ind.scalar(strconv.AppendBool(e.buf[:0], v.Bool()))
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.ind.scalar(strconv.AppendInt(e.buf[:0], v.Int(), 10))
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.ind.scalar(strconv.AppendUint(e.buf[:0], v.Uint(), 10))
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.ind.write([]byte("null"))
			return nil
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Struct:
		fields := fieldsOf(t)
		if fields == nil {
			return e.leaf(v)
		}
		e.ind.write([]byte("{"))
		first := true
		for _, f := range fields {
			fv := v.Field(f.index)
			var text []byte // a plain field's, written here
			switch {
			case f.plain == reflect.String:
				s := fv.String()
				if s == "" && f.omitEmpty {
					continue
				}
				text = appendString(e.buf[:0], s)
			case f.plain == reflect.Bool:
				b := fv.Bool()
				if !b && f.omitEmpty {
					continue
				}
				text = strconv.AppendBool(e.buf[:0], b)
			case f.omitEmpty && isEmptyValue(fv):
				continue
			}
			if !first {
				e.ind.write([]byte(","))
			}
			first = false
			e.ind.scalar(f.key) // written as it is: a plain name
			if text != nil {
				e.buf = text
				e.ind.scalar(text)
			} else if err := e.value(fv, depth+1); err != nil {
				return err
			}
		}
		e.ind.write([]byte("}"))
		return nil
	case reflect.Slice:
		if v.IsNil() {
			e.ind.write([]byte("null"))
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return e.leaf(v) // base64, or the elements' own encoding
		}
		fallthrough
	case reflect.Array:
		e.ind.write([]byte("["))
		n, split := v.Len(), v.Len()
		var second <-chan half
		if n >= halvesFrom && !e.second {
			split = n / 2
			second = e.secondHalf(v, split, depth)
		}
		for i := range split {
			if i > 0 {
				e.ind.write([]byte(","))
			}
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		if second != nil {
			h := <-second
			for _, c := range h.text {
				_, _ = e.ind.w.Write(c)
			}
			if h.err != nil {
				return h.err
			}
		}
		e.ind.write([]byte("]"))
		return nil
	}
	return e.leaf(v)
}

// halvesFrom is the length from which an array's second half is written
// on another goroutine, into memory, while the first is written out: a
// large library's exports (19,888 for librustc_driver) took a fifth of
// plugctl inspect's time on one core, the other idle.
const halvesFrom = 4096

// half is an array's second half as secondHalf wrote it: its text from
// the comma before its first element, and what stopped it.
type half struct {
	text [][]byte
	err  error
}

// secondHalf writes, on a goroutine of its own, the elements of array v
// from i on, each after its comma, as e would write them after the
// elements before: e has just written the array's '[', and the elements
// sit one level deeper. Arrays inside are written in one piece.
func (e *encoder) secondHalf(v reflect.Value, from, depth int) <-chan half {
	done := make(chan half, 1)
	inner := e.ind.depth + 1
	go func() {
		var out chunks
		bw := bufio.NewWriterSize(&out, chunkSize)
		o := newEncoder(bw, inner)
		o.second = true
		var err error
		for i := from; i < v.Len() && err == nil; i++ {
			o.ind.write([]byte(","))
			err = o.value(v.Index(i), depth+1)
		}
		_ = bw.Flush()
		done <- half{out, err}
	}()
	return done
}

// chunks is text written in pieces of chunkSize, kept: unlike a buffer
// grown by doubling, it is never copied.
type chunks [][]byte

const chunkSize = 64 << 10

func (c *chunks) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(*c) == 0 || len((*c)[len(*c)-1]) == chunkSize {
			*c = append(*c, make([]byte, 0, chunkSize))
		}
		last := &(*c)[len(*c)-1]
		k := copy((*last)[len(*last):chunkSize], p)
		*last = (*last)[:len(*last)+k]
		p = p[k:]
	}
	return n, nil
}

// leaf has encoding/json encode v and writes it. A value that can be
// addressed goes as a pointer to it: encoding/json treats what is inside it
// as addressable then, as it would have in the walk (a copy is not).
func (e *encoder) leaf(v reflect.Value) error {
	x := v.Interface()
	if v.CanAddr() {
		x = v.Addr().Interface()
	}
	e.scratch.Reset()
	if err := e.enc.Encode(x); err != nil {
		return err
	}
	e.ind.write(bytes.TrimSuffix(e.scratch.Bytes(), []byte("\n")))
	return nil
}

// encodesItself reports whether encoding/json hands values of t, and
// values of t it can address, to their own MarshalJSON or MarshalText.
func encodesItself(t reflect.Type) (self, pointer bool) {
	if m, ok := marshalers.Load(t); ok {
		m := m.([2]bool)
		return m[0], m[1]
	}
	implements := func(t reflect.Type) bool { return t.Implements(marshalerType) || t.Implements(textMarshalerType) }
	m := [2]bool{implements(t), t.Kind() != reflect.Pointer && implements(reflect.PointerTo(t))}
	marshalers.Store(t, m)
	return m[0], m[1]
}

var marshalers sync.Map // reflect.Type -> [2]bool: encodesItself's answers

// field is a struct field as encoding/json writes it.
type field struct {
	index     int
	key       []byte // "name": (indented, the space after the colon)
	omitEmpty bool
	// plain is reflect.String or reflect.Bool for a field of a string or
	// boolean type without a JSON or text encoding of its own, which the
	// struct's walk writes itself (a large report has tens of thousands
	// of them); reflect.Invalid for the rest.
	plain reflect.Kind
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf returns the fields of struct type t that encoding/json writes,
// in its order, or nil when t is one this walk leaves to encoding/json
// (embedded fields, which it promotes by rules of its own; a tag with an
// option other than omitempty; a name that would need escaping or that two
// fields share). A struct with no fields to write gives an empty, non-nil
// slice.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	fields := []field{}
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			fields = nil
			break
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := cutComma(tag)
		if name == "" {
			name = sf.Name
		}
		if opts != "" && opts != "omitempty" || !plainName(name) || seen[name] {
			fields = nil
			break
		}
		seen[name] = true
		f := field{index: i, key: []byte(`"` + name + `": `), omitEmpty: opts == "omitempty"}
		if k := sf.Type.Kind(); k == reflect.String || k == reflect.Bool {
			if self, pointer := encodesItself(sf.Type); !self && !pointer {
				f.plain = k
			}
		}
		fields = append(fields, f)
	}
	fieldCache.Store(t, fields)
	return fields
}

func cutComma(s string) (before, after string, found bool) {
	for i := range len(s) {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// plainName reports whether name is letters, digits, '_' and '-' of ASCII
// only: a tag name encoding/json accepts and writes as it is.
func plainName(name string) bool {
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return name != ""
}

// isEmptyValue is encoding/json's test for omitempty.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// indenter indents compact JSON text, encoding/json's (no space outside
// strings), handed to it in pieces that never cut a string, as json.Indent
// indents it: a newline and the depth's indent after each '{' or '[' that
// does not close at once, after each ',', and before each closing bracket;
// a space after each ':'. Errors are w's, which it keeps until Flush.
type indenter struct {
	w     *bufio.Writer
	depth int
	open  bool // after '{' or '[': its newline waits for what follows
}

func (d *indenter) newline() {
	n := 1 + 2*d.depth
	_, _ = d.w.WriteString(indents[:min(n, len(indents))])
	for n -= len(indents); n > 0; n -= 2 {
		_, _ = d.w.WriteString("  ")
	}
}

// indents is a newline and the indent of a value 64 deep, of which newline
// writes what the depth needs (one write, not one a level).
var indents = "\n" + strings.Repeat("  ", 64)

// scalar writes a string's, a number's, a boolean's or null's text.
func (d *indenter) scalar(text []byte) {
	if d.open {
		d.open = false
		d.depth++
		d.newline()
	}
	_, _ = d.w.Write(text)
}

func (d *indenter) write(compact []byte) {
	w := d.w
	for i := 0; i < len(compact); i++ {
		c := compact[i]
		if d.open && c != '}' && c != ']' {
			d.open = false
			d.depth++
			d.newline()
		}
		switch c {
		case '"':
			// The whole string, escapes and all, as it is.
			j := i + 1
			for j < len(compact) && compact[j] != '"' {
				if compact[j] == '\\' {
					j++
				}
				j++
			}
			_, _ = w.Write(compact[i:min(j+1, len(compact))])
			i = j
		case '{', '[':
			_ = w.WriteByte(c)
			d.open = true
		case ',':
			_ = w.WriteByte(c)
			d.newline()
		case ':':
			_, _ = w.WriteString(": ")
		case '}', ']':
			if d.open {
				d.open = false // empty: {} or []
			} else {
				d.depth--
				d.newline()
			}
			_ = w.WriteByte(c)
		default:
			_ = w.WriteByte(c)
		}
	}
}

// plainRun returns how many of s's first bytes, eight at a time, need
// nothing but copying: none is a control character, '"', '\\', '<', '>',
// '&' or outside ASCII. (The usual word-at-a-time tests: a byte of x is
// zero where x-0x01... borrows into its top bit, which x itself lacks;
// below 0x20 likewise, for words of ASCII.)
func plainRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := binary.LittleEndian.Uint64([]byte(s[i : i+8]))
		q, b, lt, gt, amp := w^('"'*ones), w^('\\'*ones), w^('<'*ones), w^('>'*ones), w^('&'*ones)
		bad := w | (w-0x20*ones)&^w |
			(q-ones)&^q | (b-ones)&^b | (lt-ones)&^lt | (gt-ones)&^gt | (amp-ones)&^amp
		if bad&highs != 0 {
			break
		}
	}
	return i
}

// appendString is encoding/json's: s quoted, with '"', '\\' and control
// characters escaped, '<', '>' and '&' too (as json.Marshal escapes them
// for HTML), invalid UTF-8 as U+FFFD, and U+2028 and U+2029 escaped.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		i += plainRun(s[i:])
		if i >= len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
