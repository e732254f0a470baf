package jsonout

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
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

func TestWriteIsTheEncoders(t *testing.T) {
	type inner struct {
		A []string         `json:"a"`
		M map[string]any   `json:"m,omitempty"`
		E struct{}         `json:"e"`
		P *int             `json:"p"`
		R json.RawMessage  `json:"r,omitempty"`
		N map[string][]int `json:"n"`
	}
	values := []any{
		nil, 0, -1.5e300, "", "a \"quoted\" \\ string, with: [brackets] {and} commas\n\t\u2028<html>&",
		[]int{}, map[string]int{}, []any{[]any{}, map[string]any{}, []any{[]any{1}}},
		inner{A: []string{"x", "", "\\\""}, M: map[string]any{"k:": []any{true, false, nil}, "": "}"}, N: map[string][]int{"z": {}, "y": {1, 2}}},
		inner{R: json.RawMessage(`{"raw": [1, 2], "x":{}}`)},
		strings.Repeat("long ", 20000),
	}
	for _, v := range values {
		var got bytes.Buffer
		if err := Write(&got, v); err != nil {
			t.Fatal(err)
		}
		if want := encoderOutput(t, v); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%#v:\ngot  %q\nwant %q", v, got.Bytes(), want)
		}
	}
}

// A value encoding/json refuses writes nothing and returns its error; a
// failing writer's error is returned.
func TestWriteErrors(t *testing.T) {
	var b bytes.Buffer
	var ue *json.UnsupportedValueError
	if err := Write(&b, math.Inf(1)); !errors.As(err, &ue) || b.Len() != 0 {
		t.Errorf("got %v and %q", err, b.Bytes())
	}
	broken := errors.New("broken pipe")
	if err := Write(failing{broken}, []int{1, 2}); !errors.Is(err, broken) {
		t.Errorf("got %v", err)
	}
}

type failing struct{ err error }

func (f failing) Write([]byte) (int, error) { return 0, f.err }

// Any JSON text: indenting its compact form gives what json.Indent gives
// (and so what the Encoder writes).
func FuzzIndent(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\"]"},[]],"d":{}}`, `"\\\\"`, `[[[[]]]]`, `{"":""}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
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
		indent(bw, compact.Bytes())
		bw.Flush()
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%q:\ngot  %q\nwant %q", compact.Bytes(), got.Bytes(), want.Bytes())
		}
	})
}

func newWriter(b *bytes.Buffer) *bufio.Writer { return bufio.NewWriter(b) }
