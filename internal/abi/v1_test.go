package abi

import (
	"testing"
)

func TestV1(t *testing.T) {
	d, err := V1(Target{"linux", "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range Targets {
		l, err := d.Layout(tg)
		if err != nil {
			t.Fatalf("%s: %v", tg, err)
		}
		t.Logf("%s: entry %s; table %d bytes", tg, l.Entry, l.TableSize)
		for _, m := range l.Members {
			t.Logf("   %d %s %s", m.Offset, m.Type, m.Does)
		}
	}
}
