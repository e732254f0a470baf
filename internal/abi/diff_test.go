package abi

import (
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	const baseH = `#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
typedef struct T {
    uint32_t (*get_version)(void *ctx);
    void (*log)(void *ctx, const uint8_t *message, size_t message_len);
} T;
bool start(void *ctx, const T *t);
`
	const baseTOML = `name = "x"
header = "h.h"
versions = ["1"]
[entry]
symbol = "start"
args = ["context", "table"]
[version]
exchange = "callback"
[table]
type = "T"
[callbacks.get_version]
does = "version"
[callbacks.log]
does = "log"
message = "message"
length = "message_len"
`
	edit := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("no %q", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	appended := edit(baseH, "} T;", "    void (*flush)(void *ctx);\n} T;")
	appendedTOML := baseTOML + "[callbacks.flush]\ndoes = \"record\"\n"
	// A handshake instead of a callback: the plugin cannot ask the host.
	hs := func(h, toml string) (string, string) {
		h = edit(h, "bool start(void *ctx, const T *t);", "bool start(void *ctx, const T *t);\nuint32_t ver(void);")
		toml = edit(toml, "exchange = \"callback\"", "exchange = \"handshake\"\nsymbol = \"ver\"")
		toml = edit(toml, "does = \"version\"", "does = \"constant\"\nvalue = 1")
		return h, toml
	}
	hsH, hsTOML := hs(baseH, baseTOML)
	hsAppH, hsAppTOML := hs(appended, appendedTOML)
	sized := edit(hsAppH, "typedef struct T {", "typedef struct T {\n    uint32_t size;")
	sizedOld := edit(hsH, "typedef struct T {", "typedef struct T {\n    uint32_t size;")
	sizedTOML := edit(hsAppTOML, "type = \"T\"", "type = \"T\"\nsize = \"size\"")
	sizedOldTOML := edit(hsTOML, "type = \"T\"", "type = \"T\"\nsize = \"size\"")

	for _, c := range []struct {
		name       string
		oldH, oldT string
		newH, newT string
		want       []string // each change's start, "!" for breaking
	}{
		{"the same", baseH, baseTOML, baseH, baseTOML, nil},
		{"appended, the plugin asks the version", baseH, baseTOML, appended, appendedTOML, []string{"flush is appended"}},
		{"appended, no way to tell", hsH, hsTOML, hsAppH, hsAppTOML, []string{"!flush is appended at offset 16, but the table carries neither"}},
		{"appended, the table has its size", sizedOld, sizedOldTOML, sized, sizedTOML, []string{"flush is appended"}},
		{"reordered", baseH, baseTOML, edit(edit(baseH, "    uint32_t (*get_version)(void *ctx);\n", ""), "} T;", "    uint32_t (*get_version)(void *ctx);\n} T;"), baseTOML,
			[]string{"!get_version moved from offset 0 to 8", "!log moved from offset 8 to 0"}},
		{"retyped", baseH, baseTOML, edit(baseH, "size_t message_len", "uint32_t message_len"), baseTOML, []string{"!log is void (*log)(void *ctx, uint8_t *message, uint32_t message_len)"}},
		{"removed", baseH, baseTOML, edit(baseH, "    void (*log)(void *ctx, const uint8_t *message, size_t message_len);\n", ""),
			edit(baseTOML, "[callbacks.log]\ndoes = \"log\"\nmessage = \"message\"\nlength = \"message_len\"\n", ""), []string{"!log is gone"}},
		{"renamed entry", baseH, baseTOML, edit(baseH, "bool start(", "bool begin("), edit(baseTOML, `symbol = "start"`, `symbol = "begin"`),
			[]string{"!the entry symbol is begin", "!the entry point is bool begin"}},
		{"a looser rule", obsHeader, edit(obsTOML, `rule = "minor"`, `rule = "exact"`), obsHeader, obsTOML, []string{"the rule is minor"}},
		{"a stricter rule", obsHeader, obsTOML, obsHeader, edit(obsTOML, `rule = "minor"`, `rule = "exact"`), []string{"!the rule is exact"}},
		{"a descriptor field moved", gstHeader, gstTOML, edit(gstHeader, "    int32_t major_version;", "    const char *tag;\n    int32_t major_version;"), gstTOML,
			[]string{"!the descriptor's major version is 4 bytes at offset 8, not 4 bytes at 0", "!the descriptor's minor version", "!the entry point's member plugin_init"}},
	} {
		old, err := parse(t, c.oldT, c.oldH, linux)
		if err != nil {
			t.Fatalf("%s: old: %v", c.name, err)
		}
		new, err := parse(t, c.newT, c.newH, linux)
		if err != nil {
			t.Fatalf("%s: new: %v", c.name, err)
		}
		got, err := Diff(old, new, linux)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %d changes, want %d: %+v", c.name, len(got), len(c.want), got)
			continue
		}
		for i, w := range c.want {
			breaks := strings.HasPrefix(w, "!")
			if !strings.HasPrefix(got[i].What, strings.TrimPrefix(w, "!")) || got[i].Breaks != breaks {
				t.Errorf("%s: change %d is %+v, want %q", c.name, i, got[i], w)
			}
		}
	}
}
