package abi

import (
	"bytes"
	"flag"
	"os"
	"reflect"
	"testing"
)

// The built-in description is plugctl's ABI, version 1, as the SDK's
// header lays it out on every target: two function pointers, the version
// callback first.
func TestV1(t *testing.T) {
	d, err := V1(linux)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "plugctl" || len(d.Versions) != 1 || d.Newest() != (Version{Major: 1}) || d.Exchange.Kind != KindCallback || d.Exchange.Rule != Exact {
		t.Errorf("V1: %+v", d)
	}
	if d.Entry.Symbol != "init_plugin" || len(d.Entry.Args) != 2 || d.Entry.Args[0] != ArgContext || d.Entry.Args[1] != ArgTable {
		t.Errorf("V1's entry: %+v", d.Entry)
	}
	for _, tg := range Targets {
		l, err := d.Layout(tg)
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		ptr := int64(8)
		if tg.Arch == "386" {
			ptr = 4
		}
		if l.TableSize != 2*ptr || len(l.Members) != 2 || l.Members[0].Name != "get_version" || l.Members[0].Does != DoesVersion ||
			l.Members[1].Name != "log" || l.Members[1].Offset != ptr || l.Members[1].Does != DoesLog || l.Success != Nonzero {
			t.Errorf("%s: %+v", tg, l)
		}
	}
	if l, _ := d.Layout(linux); l.Entry != "bool init_plugin(void *ctx, HostFunctions *functions)" || l.Members[1].Type != "void (*log)(void *ctx, uint8_t *message, size_t message_len)" {
		t.Errorf("prototypes: %q, %q", l.Entry, l.Members[1].Type)
	}
}

var update = flag.Bool("update", false, "write v1_literal.go again from the SDK's header")

// The built-in description's literal is what parsing the SDK's header and
// description gives, on every target.
func TestV1Snapshot(t *testing.T) {
	d, err := parseV1(linux)
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{Description: d}
	for _, tg := range Targets {
		l, err := d.Layout(tg)
		if err != nil {
			t.Fatal(err)
		}
		s.Layouts = append(s.Layouts, l)
	}
	parsed := *d
	parsed.header, parsed.at, parsed.runtime, parsed.layouts = nil, nil, Target{}, nil
	want, err := v1LiteralSource(snapshot{Description: &parsed, Layouts: s.Layouts})
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("v1_literal.go", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return // the test binary has the old one
	}
	if have, err := os.ReadFile("v1_literal.go"); err != nil || !bytes.Equal(have, want) {
		t.Fatal("v1_literal.go is not the SDK's header and description: run go test ./internal/abi -run TestV1Snapshot -update")
	}
	// And it reads back as what it was made from.
	got, err := V1(linux)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range Targets {
		a, _ := got.Layout(tg)
		b, _ := d.Layout(tg)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the snapshot's layout %+v, parsed %+v", tg, a, b)
		}
	}
	got.header, got.runtime, got.layouts = d.header, d.runtime, d.layouts
	got.at = d.at
	if !reflect.DeepEqual(got, d) {
		t.Errorf("the snapshot's description %+v, parsed %+v", got, d)
	}
}
