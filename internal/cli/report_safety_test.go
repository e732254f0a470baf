package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/plugctl/plugctl/internal/testplugins"
)

// hostileASCII is the printable start of what libmarkup.so logs and prints:
// markup, entities, quotes and GitHub workflow command syntax, which every
// report must carry as text.
const hostileASCII = `<b>&amp;"dq" 'sq' 100% a,b:c ::error title=x::forged %0A%25 `

// unsafe reports a rune a report must never carry raw, by Unicode's own
// tables: a control character, a bidirectional control, a line or
// paragraph separator; newline only where lines allows it.
func unsafe(r rune, lines bool) bool {
	if r == '\n' && lines {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || unicode.In(r, unicode.Zl, unicode.Zp)
}

func checkSafe(t *testing.T, what, s string, lines bool) {
	t.Helper()
	for _, r := range s {
		if unsafe(r, lines) {
			t.Errorf("%s holds %U: %q", what, r, s)
			return
		}
	}
}

// hostileFile copies libmarkup.so to a file whose name is made of the same
// kind of characters, a newline and bidi controls included.
func hostileFile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(testplugins.Path(t, "libmarkup.so"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a<b&c\"d'e%f,g:h\u202ei\u2066j\nk\u061c.so")
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func verifyAs(t *testing.T, format, path string) []byte {
	t.Helper()
	s, out, _ := testStreams(false, nil)
	if code := Main([]string{"verify", "--format", format, path}, s); code != ExitFailed {
		t.Fatalf("verify --format %s: exit status %d, want %d", format, code, ExitFailed)
	}
	return out.Bytes()
}

// The text report: every line safe, one result line, the hostile text kept.
func TestTextReportCarriesHostileText(t *testing.T) {
	path := hostileFile(t)
	out := string(verifyAs(t, "text", path))
	results := 0
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		checkSafe(t, "a text line", line, false)
		if strings.HasPrefix(line, "fail ") {
			results++
		}
	}
	if results != 1 || !strings.Contains(out, "log: "+hostileASCII) {
		t.Errorf("want one result line and the log text:\n%s", out)
	}
}

// JSON: valid, the path and logs single lines of safe text.
func TestJSONReportCarriesHostileText(t *testing.T) {
	path := hostileFile(t)
	out := verifyAs(t, "json", path)
	var doc struct {
		Plugins []struct {
			Path   string   `json:"path"`
			Logs   []string `json:"logs"`
			Stdout struct {
				Text string `json:"text"`
			} `json:"stdout"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Plugins) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	p := doc.Plugins[0]
	for _, l := range p.Logs {
		checkSafe(t, "a log line", l, false)
	}
	checkSafe(t, "stdout", p.Stdout.Text, true)
	if len(p.Logs) != 2 || !strings.HasPrefix(p.Logs[0], hostileASCII) || !strings.HasPrefix(p.Stdout.Text, hostileASCII) {
		t.Errorf("logs %q, stdout %q", p.Logs, p.Stdout.Text)
	}
}

// JUnit: well-formed XML that a real parser reads back to the same text;
// the test case's name is the path, shown safe.
func TestJUnitReportCarriesHostileText(t *testing.T) {
	path := hostileFile(t)
	out := verifyAs(t, "junit", path)
	if bytes.Contains(out, []byte("<b>")) || bytes.Contains(out, []byte("]]> end")) {
		t.Errorf("markup from the plugin reached the XML raw:\n%s", out)
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Out string `xml:"system-out"`
				Err string `xml:"system-err"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 1 {
		t.Fatalf("%v\n%s", err, out)
	}
	c := doc.Suites[0].Cases[0]
	checkSafe(t, "the test case name", c.Name, false)
	if !strings.Contains(c.Name, `a<b&c"d'e%f,g:h`) || !strings.HasSuffix(c.Name, ".so") {
		t.Errorf("name %q", c.Name)
	}
	if c.Failure == nil || !strings.Contains(c.Failure.Text, "log: "+hostileASCII) || !strings.Contains(c.Failure.Message, "init_plugin returned false") {
		t.Errorf("failure %+v", c.Failure)
	}
	for what, s := range map[string]string{"system-out": c.Out, "system-err": c.Err, "failure": c.Failure.Text} {
		checkSafe(t, what, s, true)
		if !strings.Contains(s, hostileASCII) {
			t.Errorf("%s lost the text: %q", what, s)
		}
	}
}

// GitHub annotations: every line a workflow command by the grammar
// (::KIND file=P,title=P::DATA, with % CR LF escaped in DATA and also : ,
// in P), which decodes back to the same safe text.
func TestGitHubReportCarriesHostileText(t *testing.T) {
	path := hostileFile(t)
	out := string(verifyAs(t, "github", path))
	command := regexp.MustCompile(`^::(error|warning) file=([^,:\r\n]*),title=([^,:\r\n]*)::([^\r\n]*)$`)
	unescape := strings.NewReplacer("%25", "%", "%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",")
	errors := 0
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(line, "verify: ") {
			continue
		}
		m := command.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("not a workflow command: %q", line)
			continue
		}
		file, title, data := unescape.Replace(m[2]), unescape.Replace(m[3]), unescape.Replace(m[4])
		checkSafe(t, "the file property", file, false)
		if !strings.Contains(file, `a<b&c"d'e%f,g:h`) || !strings.HasPrefix(title, "plugctl verify: ") {
			t.Errorf("file %q, title %q", file, title)
		}
		checkSafe(t, "the data", data, true)
		if m[1] == "error" {
			errors++
			if !strings.Contains(data, "\nlog: "+hostileASCII) {
				t.Errorf("data lost the log text: %q", data)
			}
			for _, l := range strings.Split(data, "\n") {
				if !regexp.MustCompile(`^(fail|hint|log): `).MatchString(l) {
					t.Errorf("data line %q starts no line plugctl writes", l)
				}
			}
		}
	}
	if errors != 1 {
		t.Errorf("%d error annotations, want 1:\n%s", errors, out)
	}
}
