package jsonout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// encoderOutput is what plugctl wrote before: encoding/json's Encoder
// with SetIndent("", "  ").
func encoderOutput(t testing.TB, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Types that take each of encoding/json's paths: the walk's (structs,
// slices, arrays, pointers, interfaces, omitempty) and those it leaves to
// encoding/json (embedded fields, tag options, odd names, []byte, maps,
// marshalers called on a value or, when it is addressable, on a pointer).
type (
	inner struct {
		A []string         `json:"a"`
		M map[string]any   `json:"m,omitempty"`
		E struct{}         `json:"e"`
		P *int             `json:"p"`
		R json.RawMessage  `json:"r,omitempty"`
		N map[string][]int `json:"n"`
	}
	sample struct {
		Name     string            `json:"name"`
		Omitted  string            `json:"omitted,omitempty"`
		Zero     int               `json:",omitempty"`
		Skip     int               `json:"-"`
		hidden   int               //nolint:unused // encoding/json skips it
		Bytes    []byte            `json:"bytes"`
		NilBytes []byte            `json:"nil_bytes"`
		Array    [2]pointerText    `json:"array"`
		Texts    []pointerText     `json:"texts"`
		Values   []valueMarshaler  `json:"values,omitempty"`
		Ptrs     []*valueMarshaler `json:"ptrs"`
		Any      any               `json:"any"`
		Inner    *inner            `json:"inner"`
		Nested   []sample          `json:"nested,omitempty"`
		Left     []leftAlone       `json:"left"`
		//lint:ignore SA5008 the field named "-", as encoding/json reads the tag
		Dash int `json:"-,"`
	}
	// leftAlone's fields are for encoding/json to write: Embedded's are
	// promoted, Quoted is written as a string, Odd's name is a tag
	// encoding/json takes as it is but this package does not.
	leftAlone struct {
		Embedded
		Quoted int    `json:"quoted,string"`
		Odd    string `json:"odd <name> &"`
	}
	embedded struct {
		Embedded
	}
	quoted struct {
		Quoted int `json:"quoted,string"`
	}
	odd struct {
		Odd string `json:"odd <name> &"`
	}
	// Embedded's fields are promoted into the struct that embeds it.
	Embedded struct {
		Promoted string `json:"promoted"`
	}
	plain struct {
		Name   string    `json:"name"`
		Kind   kind      `json:"kind"`
		Count  count     `json:"count"`
		Small  int8      `json:"small"`
		Big    uint64    `json:"big"`
		Ptr    uintptr   `json:"ptr,omitempty"`
		Kinds  []uint8   `json:"kinds"`
		Floats []float64 `json:"floats,omitempty"`
		Next   *plain    `json:"next,omitempty"`
		T      pointerText
	}
	// pointerText has a pointer method: encoding/json calls it only on a
	// value it can address.
	pointerText struct{ S string }
	// valueMarshaler has a value method: called always.
	valueMarshaler struct{ N int }
	// dup's tagged field hides the other.
	dup struct {
		A int `json:"X"`
		X int
	}
)

// kind and count are named types with no methods of their own: written
// as what they are named for.
type (
	kind  string
	count int32
)

func (p *pointerText) MarshalText() ([]byte, error) { return []byte("text:" + p.S), nil }

// Strings and booleans that encode themselves, by value or by pointer:
// fields of these types are not written as plain strings and booleans.
type (
	textString  string
	ptrString   string
	jsonBool    bool
	withMethods struct {
		T textString `json:"t,omitempty"`
		P ptrString  `json:"p"`
		B jsonBool   `json:"b,omitempty"`
		K kind       `json:"k,omitempty"`
		F bool       `json:"f,omitempty"`
	}
)

func (s textString) MarshalText() ([]byte, error) { return []byte("text:" + s), nil }

func (s *ptrString) MarshalText() ([]byte, error) { return []byte("ptr:" + *s), nil }

func (b jsonBool) MarshalJSON() ([]byte, error) { return []byte(`"yes"`), nil }

func (v valueMarshaler) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]int{"n": v.N}) }

func sampleValues() []any {
	n := 7
	in := inner{A: []string{"x", "", "\\\""}, M: map[string]any{"k:": []any{true, false, nil}, "": "}"}, N: map[string][]int{"z": {}, "y": {1, 2}}, P: &n}
	s := sample{
		Name: "a <b> & \u2028", Dash: 3, hidden: 1, Bytes: []byte("bytes"),
		Array: [2]pointerText{{"a"}, {"b"}}, Texts: []pointerText{{"c"}}, Values: []valueMarshaler{{1}},
		Ptrs: []*valueMarshaler{{2}, nil}, Any: pointerText{"in an interface"}, Inner: &in,
		Nested: []sample{{Name: "child", Any: []any{1.5, "x", nil}}},
		Left:   []leftAlone{{Embedded{"p"}, 5, "o"}},
	}
	p := plain{Name: "p", Kind: "<fn>", Count: -7, Small: -128, Big: 1<<64 - 1, Ptr: 3, Kinds: []uint8{1, 2}, Floats: []float64{0.1, 1e21}, Next: &plain{Name: "q"}, T: pointerText{"t"}}
	return []any{
		nil, 0, -1.5e300, "", "a \"quoted\" \\ string, with: [brackets] {and} commas\n\t\u2028<html>&",
		[]int{}, map[string]int{}, []any{[]any{}, map[string]any{}, []any{[]any{1}}},
		in, &in, inner{R: json.RawMessage(`{"raw": [1, 2], "x":{}}`)},
		strings.Repeat("long ", 20000),
		s, &s, []sample{s, {}}, p, &p, []*plain{&p, nil}, [0]int{}, [3]any{}, struct{}{}, []struct{}{{}},
		dup{1, 2}, embedded{Embedded{"e"}}, quoted{6}, odd{"odd"}, pointerText{"not addressable"}, &pointerText{"addressable"}, valueMarshaler{3},
		map[string]plain{"k": p}, []any{p, &p},
		deep(70), // indented deeper than newline's one write reaches
		withMethods{"t", "p", true, "k", true}, &withMethods{"t", "p", true, "", false}, []withMethods{{}, {P: "x"}},
	}
}

// deep is n arrays, one in another, around a struct.
func deep(n int) any {
	var v any = plain{Name: "bottom"}
	for range n {
		v = []any{v}
	}
	return v
}

func TestWriteIsTheEncoders(t *testing.T) {
	for _, v := range sampleValues() {
		var got bytes.Buffer
		if err := Write(&got, v); err != nil {
			t.Fatal(err)
		}
		if want := encoderOutput(t, v); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%#v:\ngot  %s\nwant %s", v, got.Bytes(), want)
		}
	}
}

// Arrays of halvesFrom elements and more, written in two halves at once,
// are written as the Encoder writes them: at the top and deep inside,
// with large arrays inside either half, and as Go arrays.
func TestWriteHalvesIsTheEncoders(t *testing.T) {
	big := func(n int, f func(i int) any) []any {
		v := make([]any, n)
		for i := range v {
			v[i] = f(i)
		}
		return v
	}
	samples := sampleValues()
	ints := make([]int, halvesFrom)
	for i := range ints {
		ints[i] = i
	}
	var array [halvesFrom + 1]plain
	for i := range array {
		array[i].Name = strings.Repeat("n", i%7)
	}
	values := []any{
		big(halvesFrom, func(i int) any { return samples[i%len(samples)] }),
		big(2*halvesFrom+1, func(i int) any { return i }),
		// Large arrays in the first half (written in halves again) and in
		// the second (written whole).
		big(halvesFrom, func(i int) any {
			if i == 1 || i == halvesFrom-2 {
				return ints
			}
			return i
		}),
		struct{ Deep struct{ In []any } }{struct{ In []any }{big(halvesFrom+5, func(i int) any { return map[string]int{"i": i} })}},
		&array,
		[]any{deep(70), big(halvesFrom, func(i int) any { return deep(i % 3) })},
	}
	for i, v := range values {
		var got bytes.Buffer
		if err := Write(&got, v); err != nil {
			t.Fatal(err)
		}
		if want := encoderOutput(t, v); !bytes.Equal(got.Bytes(), want) {
			n := 0
			for n < min(got.Len(), len(want)) && got.Bytes()[n] == want[n] {
				n++
			}
			t.Errorf("value %d: differs at byte %d: got %q, want %q", i, n, got.Bytes()[n:min(got.Len(), n+40)], want[n:min(len(want), n+40)])
		}
	}
}

// A value encoding/json refuses in either half of a large array is the
// error Write returns.
func TestWriteHalvesErrors(t *testing.T) {
	for _, at := range []int{0, halvesFrom/2 - 1, halvesFrom / 2, halvesFrom - 1} {
		v := make([]any, halvesFrom)
		for i := range v {
			v[i] = i
		}
		v[at] = math.NaN()
		var ue *json.UnsupportedValueError
		if err := Write(io.Discard, v); !errors.As(err, &ue) {
			t.Errorf("NaN at %d: got %v", at, err)
		}
	}
}

// A pointer cycle is encoding/json's error, not a walk for ever.
func TestWriteCycle(t *testing.T) {
	p := &plain{Name: "loop"}
	p.Next = p
	var ue *json.UnsupportedValueError
	if err := Write(io.Discard, p); !errors.As(err, &ue) {
		t.Errorf("got %v", err)
	}
}

// A value encoding/json refuses returns its error (and, at the top,
// writes nothing); a failing writer's error is returned.
func TestWriteErrors(t *testing.T) {
	var b bytes.Buffer
	var ue *json.UnsupportedValueError
	if err := Write(&b, math.Inf(1)); !errors.As(err, &ue) || b.Len() != 0 {
		t.Errorf("got %v and %q", err, b.Bytes())
	}
	if err := Write(&b, []any{"x", math.NaN()}); !errors.As(err, &ue) {
		t.Errorf("got %v", err)
	}
	broken := errors.New("broken pipe")
	if err := Write(failing{broken}, []int{1, 2}); !errors.Is(err, broken) {
		t.Errorf("got %v", err)
	}
}

type failing struct{ err error }

func (f failing) Write([]byte) (int, error) { return 0, f.err }

// Any JSON text, cut into pieces anywhere outside its strings (cuts says
// where): indenting its compact form gives what json.Indent gives (and so
// what the Encoder writes).
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\"]"},[]],"d":{}}`, `"\\\\"`, `[[[[]]]]`, `{"":""}`, `null`} {
		f.Add([]byte(s), uint64(0x5555))
	}
	f.Fuzz(func(t *testing.T, b []byte, cuts uint64) {
		if !json.Valid(b) {
			return
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, compact.Bytes(), "", "  "); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		bw := newWriter(&got)
		d := indenter{w: bw}
		text, piece, inString := compact.Bytes(), 0, false
		for i := 0; i < len(text); i++ {
			switch {
			case inString && text[i] == '\\':
				i++
			case text[i] == '"':
				inString = !inString
			case !inString && cuts>>(i%64)&1 == 1:
				d.write(text[piece:i])
				piece = i
			}
		}
		d.write(text[piece:])
		bw.Flush()
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%q:\ngot  %q\nwant %q", compact.Bytes(), got.Bytes(), want.Bytes())
		}
	})
}

// Values decoded from any JSON text into types of every path: Write
// writes what the Encoder writes, or fails where it fails.
func FuzzWrite(f *testing.F) {
	for _, v := range sampleValues() {
		b, _ := json.Marshal(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, v := range []any{new(sample), new([]plain), new(any), new(map[string]sample)} {
			if json.Unmarshal(b, v) != nil {
				continue
			}
			var got bytes.Buffer
			if err := Write(&got, v); err != nil {
				t.Fatal(err)
			}
			if want := encoderOutput(t, v); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s:\ngot  %s\nwant %s", b, got.Bytes(), want)
			}
		}
	})
}

func newWriter(b *bytes.Buffer) *bufio.Writer { return bufio.NewWriter(b) }

// appendString quotes any string, valid UTF-8 or not, as json.Marshal
// does.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "\x00\x01\b\f\n\r\t\x1f\x7f", "\u2028\u2029\u2027", "\xff\xfe bad \xc3", "日本語 ✓"} {
		f.Add(s)
	}
	// Each byte that needs a second look at each place of a word of eight
	// read at once, in a long plain name.
	for _, c := range "\x00\x1f \"\\<>&\x7f\u00e9\u2028" {
		for at := range 17 {
			f.Add("_ZN12rustc_middle2ty"[:at] + string(c) + "_ZN12rustc_middle2ty7context")
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	})
}
