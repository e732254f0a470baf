package abi

import (
	"errors"
	"strings"
	"testing"
)

var linux = Target{"linux", "amd64"}

// parse reads a description from strings, its header named h.h.
func parse(t *testing.T, toml, header string, rt Target) (*Description, error) {
	t.Helper()
	return Parse("d.toml", []byte(toml), func(name string) (string, []byte, error) {
		if name != "h.h" {
			return "", nil, errors.New("no such file")
		}
		return name, []byte(header), nil
	}, rt)
}

// A header and description in the shape of OBS's modules: a handshake
// function returns the plugin's version, packed; the entry point takes
// nothing and returns bool.
const obsHeader = `#include <stdint.h>
#include <stdbool.h>
#define MAKE_SEMANTIC_VERSION(major, minor, patch) ((major << 24) | (minor << 16) | patch)
uint32_t obs_module_ver(void);
bool obs_module_load(void);
`

const obsTOML = `name = "obs-like"
header = "h.h"
versions = ["27.0", "27.1", "28.0"]
[entry]
symbol = "obs_module_load"
[version]
exchange = "handshake"
symbol = "obs_module_ver"
rule = "minor"
packed = [24, 16]
`

// GStreamer's: a data symbol holds the version; the entry point is a
// member of it.
const gstHeader = `#include <stdint.h>
#include <stdbool.h>
typedef struct GstPlugin GstPlugin;
typedef bool (*GstPluginInitFunc)(GstPlugin *plugin);
typedef struct {
    int32_t major_version;
    int32_t minor_version;
    const char *name;
    GstPluginInitFunc plugin_init;
} GstPluginDesc;
extern const GstPluginDesc gst_plugin_desc;
`

const gstTOML = `name = "gst-like"
header = "h.h"
versions = ["1.0", "1.2"]
[entry]
symbol = "gst_plugin_desc"
field = "plugin_init"
args = ["null"]
[version]
exchange = "descriptor"
symbol = "gst_plugin_desc"
major = "major_version"
minor = "minor_version"
rule = "minor"
`

func TestPatterns(t *testing.T) {
	for _, c := range []struct{ name, toml, header string }{
		{"obs", obsTOML, obsHeader},
		{"gst", gstTOML, gstHeader},
	} {
		d, err := parse(t, c.toml, c.header, linux)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, tg := range Targets {
			if _, err := d.Layout(tg); err != nil {
				t.Errorf("%s on %s: %v", c.name, tg, err)
			}
		}
	}
	d, _ := parse(t, gstTOML, gstHeader, linux)
	l64, _ := d.Layout(linux)
	l32, _ := d.Layout(Target{"windows", "386"})
	if l64.EntryOffset != 16 || l32.EntryOffset != 12 || l64.MinorField.Offset != 4 || l64.DescriptorSize != 24 || l32.DescriptorSize != 16 {
		t.Errorf("gst layout: 64-bit entry at %d (want 16), size %d (24); 32-bit entry at %d (12), size %d (16); minor at %d (4)",
			l64.EntryOffset, l64.DescriptorSize, l32.EntryOffset, l32.DescriptorSize, l64.MinorField.Offset)
	}
}

func TestRules(t *testing.T) {
	v := func(s string) Version {
		x, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, c := range []struct {
		rule         Rule
		plugin, host string
		want         bool
	}{
		{Exact, "1", "1", true}, {Exact, "1", "2", false},
		{Minor, "1.2", "1.3", true}, {Minor, "1.3", "1.3", true}, {Minor, "1.4", "1.3", false}, {Minor, "2.0", "1.3", false}, {Minor, "0.9", "1.3", false},
		{AtMost, "1.2", "2.0", true}, {AtMost, "2.1", "2.0", false},
		{AtLeast, "2.1", "2.0", true}, {AtLeast, "1.9", "2.0", false},
		{Major, "1.4", "1.3", true}, {Major, "1.0", "1.3", true}, {Major, "2.0", "1.3", false}, {Major, "0.9", "1.3", false},
	} {
		if got := c.rule.Accepts(v(c.plugin), v(c.host)); got != c.want {
			t.Errorf("%s: plugin %s on host %s: %v, want %v", c.rule, c.plugin, c.host, got, c.want)
		}
	}
	// A rule is stricter than another when some plugin the other accepts,
	// it refuses: checked against Accepts over a grid of versions.
	grid := []string{"0.9", "1.0", "1.2", "1.3", "1.4", "2.0"}
	for _, old := range rules {
		for _, new := range rules {
			refuses := false
			for _, p := range grid {
				for _, h := range grid {
					refuses = refuses || old.Accepts(v(p), v(h)) && !new.Accepts(v(p), v(h))
				}
			}
			if got := ruleStricter(old, new); got != refuses {
				t.Errorf("ruleStricter(%s, %s) = %v, but %s refuses what %s accepts: %v", old, new, got, new, old, refuses)
			}
		}
	}
	x := Exchange{Packed: []int{24, 16}}
	if n := x.Encode(v("27.1")); n != 27<<24|1<<16 || x.Decode(n) != v("27.1") {
		t.Errorf("packed 27.1: %#x, back %v", n, x.Decode(n))
	}
	for _, bad := range []string{"", "1.", ".1", "01", "1.02", "1.2.3", "x", "-1", "4294967296"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
}

// Every fault is refused with a message at its place.
func TestRefusals(t *testing.T) {
	v1 := `name = "x"
header = "h.h"
versions = ["1"]
[entry]
symbol = "init_plugin"
args = ["context", "table"]
[version]
exchange = "callback"
[table]
type = "HostFunctions"
[callbacks.get_version]
does = "version"
context = "ctx"
[callbacks.log]
does = "log"
context = "ctx"
message = "message"
length = "message_len"
`
	v1h := `#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
typedef struct HostFunctions {
    uint32_t (*get_version)(void *ctx);
    void (*log)(void *ctx, const uint8_t *message, size_t message_len);
} HostFunctions;
bool init_plugin(void *ctx, const HostFunctions *functions);
`
	if _, err := parse(t, v1, v1h, linux); err != nil {
		t.Fatalf("the base case: %v", err)
	}
	edit := func(s, old, new string) string {
		if !strings.Contains(s, old) {
			t.Fatalf("no %q to replace", old)
		}
		return strings.Replace(s, old, new, 1)
	}
	for _, c := range []struct {
		name, toml, header string
		rt                 Target
		want               string
	}{
		{"TOML syntax", edit(v1, `name = "x"`, `name = "x`), v1h, linux, "d.toml:1:"},
		{"unknown key", edit(v1, `[entry]`, "[entry]\nsymbl = 1"), v1h, linux, "d.toml:5:1: unknown key entry.symbl"},
		{"a key in another case", edit(v1, `[entry]`, "[entry]\nSymbol = 1"), v1h, linux, "d.toml:5:1: unknown key entry.Symbol"},
		{"a value of the wrong type", edit(v1, `name = "x"`, `name = 1`), v1h, linux, "d.toml:1:8: name: want a string, not a TOML integer"},
		{"a table in another case", edit(v1, `[entry]`, "[Entry]"), v1h, linux, "unknown key Entry"},
		{"no name", edit(v1, `name = "x"`, ``), v1h, linux, "name is missing"},
		{"bad version", edit(v1, `["1"]`, `["1", "x"]`), v1h, linux, `d.toml:3:1: version "x"`},
		{"versions out of order", edit(v1, `["1"]`, `["2", "1"]`), v1h, linux, "versions must be in order"},
		{"bad exchange", edit(v1, `"callback"`, `"telepathy"`), v1h, linux, `d.toml:8:1: version.exchange is "telepathy": want one of`},
		{"no header file", edit(v1, `"h.h"`, `"missing.h"`), v1h, linux, "d.toml:2:1: reading the header: no such file"},
		{"C syntax", v1, v1h + "int broken(;\n", linux, "h.h:9:"},
		{"include outside", v1, "#include <stdio.h>\n" + v1h, linux, "h.h:1:"},
		{"missing entry", v1, edit(v1h, "bool init_plugin", "bool start_plugin"), linux, "d.toml:5:1: init_plugin is not declared in h.h"},
		{"entry not a function", v1, edit(v1h, "bool init_plugin(void *ctx, const HostFunctions *functions);", "extern int init_plugin;"), linux, "is declared as int, not as a function"},
		{"args count", edit(v1, `["context", "table"]`, `["context"]`), v1h, linux, "entry.args has 1 values, but init_plugin has 2 parameters"},
		{"arg type", edit(v1, `["context", "table"]`, `["version", "table"]`), v1h, linux, "parameter 1 is void *; the version is an integer"},
		{"no table type", edit(v1, `type = "HostFunctions"`, `type = "Nope"`), v1h, linux, "d.toml:10:1: Nope is not declared in h.h"},
		{"callback undescribed", edit(v1, "[callbacks.log]\ndoes = \"log\"\ncontext = \"ctx\"\nmessage = \"message\"\nlength = \"message_len\"\n", ""), v1h, linux, "HostFunctions.log has no [callbacks.log]"},
		{"callback not a member", v1 + "[callbacks.extra]\ndoes = \"record\"\n", v1h, linux, "d.toml:19:2: [callbacks.extra]: HostFunctions has no member extra"},
		{"no version callback", edit(v1, `does = "version"`, `does = "record"`), v1h, linux, "needs a callback that does \"version\""},
		{"context not a pointer", v1, edit(v1h, "uint32_t (*get_version)(void *ctx);", "uint32_t (*get_version)(int ctx);"), linux, "d.toml:13:1: get_version's parameter ctx is int; the context is a pointer"},
		{"log without message", edit(v1, `message = "message"`, ``), v1h, linux, "callbacks.log.message is missing"},
		{"float result", v1, edit(v1h, "} HostFunctions;", "    double (*now)(void *ctx);\n} HostFunctions;"), linux, "HostFunctions.now has no [callbacks.now]"},
		{"float result refused", v1 + "[callbacks.now]\ndoes = \"record\"\n", edit(v1h, "} HostFunctions;", "    double (*now)(void *ctx);\n} HostFunctions;"), linux, "now cannot be a host callback on linux/amd64: it returns double (no floating-point results)"},
		{"variadic refused", v1 + "[callbacks.logf]\ndoes = \"record\"\n", edit(v1h, "} HostFunctions;", "    void (*logf)(void *ctx, const char *fmt, ...);\n} HostFunctions;"), linux, "it is variadic"},
		{"struct by value refused", v1 + "[callbacks.at]\ndoes = \"record\"\n", edit(v1h, "typedef struct HostFunctions {", "typedef struct P { int x, y; } P;\ntypedef struct HostFunctions {\n    void (*at)(void *ctx, P p);"), linux, "parameter 2 is a struct by value"},
		{"float argument on Windows", v1 + "[callbacks.set]\ndoes = \"record\"\n", edit(v1h, "} HostFunctions;", "    void (*set)(void *ctx, double v);\n} HostFunctions;"), Target{"windows", "amd64"}, "no floating-point arguments on Windows"},
		{"symbol-name needs a declaration", edit(edit(v1, `symbol = "init_plugin"`, `symbol = "init_plugin_{major}"`), `"callback"`, `"symbol-name"`), v1h, linux, "entry.declaration must name"},
		{"descriptor member missing", gstTOML, edit(gstHeader, "int32_t minor_version;", "int32_t minor;"), linux, "has no member minor_version"},
		{"handshake with parameters", obsTOML, edit(obsHeader, "obs_module_ver(void)", "obs_module_ver(int x)"), linux, "takes parameters"},
		{"dotted versions need packing", edit(obsTOML, "packed = [24, 16]\n", ""), obsHeader, linux, "version.packed must say where each goes"},
	} {
		_, err := parse(t, c.toml, c.header, c.rt)
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant it to say %q", c.name, err, c.want)
		}
	}
}

// Past MaxCallbacks, a table is refused: purego's slots are few and never
// freed.
func TestTooManyCallbacks(t *testing.T) {
	var h, toml strings.Builder
	h.WriteString("typedef struct T {\n")
	toml.WriteString("name = \"big\"\nheader = \"h.h\"\nversions = [\"1\"]\n[entry]\nsymbol = \"start\"\nargs = [\"table\"]\n[version]\nexchange = \"callback\"\n[table]\ntype = \"T\"\n[callbacks.v]\ndoes = \"version\"\n")
	h.WriteString("    unsigned (*v)(void);\n")
	for i := range MaxCallbacks {
		h.WriteString("    void (*f" + itoa(i) + ")(void);\n")
		toml.WriteString("[callbacks.f" + itoa(i) + "]\ndoes = \"record\"\n")
	}
	h.WriteString("} T;\nint start(const T *t);\n")
	_, err := parse(t, toml.String(), h.String(), linux)
	if err == nil || !strings.Contains(err.Error(), "at most 256") {
		t.Errorf("%d callbacks: %v", MaxCallbacks+1, err)
	}
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}
