package worker

import "testing"

// BenchmarkParse decodes a plugin's events as the parent reads them in
// verify: a phase, a log line, a result.
func BenchmarkParse(b *testing.B) {
	w := &Worker{expect: reqKey{7, "0123456789abcdef0123456789abcdef"}}
	for _, line := range []struct{ name, text string }{
		{"phase", `{"ev":"phase","id":7,"tok":"0123456789abcdef0123456789abcdef","phase":"init","text":"plain_10"}`},
		{"log", `{"ev":"log","id":7,"tok":"0123456789abcdef0123456789abcdef","text":"hello from a plain C plugin"}`},
		{"result", `{"ev":"result","id":7,"tok":"0123456789abcdef0123456789abcdef","result":{"ok":true,"name":"plain_10","after":{"threads":0}}}`},
	} {
		b.Run(line.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok := w.parse([]byte(line.text)); !ok {
					b.Fatal("not believed")
				}
			}
		})
	}
}
