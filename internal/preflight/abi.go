package preflight

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/inspect"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
)

// ABIReport is what the file shows of a described ABI (inspect and list
// --abi): its entry point, and the version it was built for where the file
// says (a descriptor, or the entry symbol's name).
type ABIReport struct {
	Name        string             `json:"name"`
	HostVersion string             `json:"host_version"`
	Exchange    string             `json:"exchange"`        // how the version is agreed (abi.ExchangeKind)
	Entry       sanitize.Untrusted `json:"entry,omitempty"` // the entry symbol it exports
	// Version is the version the plugin was built for, and Compatible the
	// rule's word on it against HostVersion; both absent when the file
	// does not say (a callback or a handshake tells only at run time).
	Version    string `json:"version,omitempty"`
	Compatible *bool  `json:"compatible,omitempty"`
}

// dataSymbols are the data objects a check under d reads from the file.
func dataSymbols(d *abi.Description) []string {
	if d != nil && d.Exchange.Kind == abi.KindDescriptor {
		return []string{d.Exchange.Symbol}
	}
	return nil
}

// target is the description target of a file: its OS and architecture as
// Go names them.
func target(f *inspect.File) (abi.Target, bool) {
	arch := map[string]string{"x86_64": "amd64", "i386": "386", "aarch64": "arm64"}[f.Arch]
	t := abi.Target{OS: f.OS, Arch: arch}
	return t, slices.Contains(abi.Targets, t)
}

// described checks the file against a described ABI d for a host of
// version host: the entry point, and the version where the file shows it.
// It stands in for the built-in ABI's entry-point check.
func (r *Report) described(d *abi.Description, host abi.Version) {
	f := r.file
	rep := &ABIReport{Name: d.Name, HostVersion: host.String(), Exchange: string(d.Exchange.Kind)}
	r.ABI = rep
	exported := func(name string) (inspect.Symbol, bool) {
		i := slices.IndexFunc(f.Exports, func(s inspect.Symbol) bool { return s.Name == name })
		if i < 0 {
			return inspect.Symbol{}, false
		}
		return f.Exports[i], true
	}
	entry := d.Entry.SymbolFor(host)
	if _, ok := exported(entry); ok {
		rep.Entry = sanitize.Untrusted(entry)
	}
	accept := func(v abi.Version, from string) {
		rep.Version = v.String()
		ok := d.Exchange.Rule.Accepts(v, host)
		rep.Compatible = &ok
		if !ok {
			r.add(report.Error, report.ABIVersion,
				fmt.Sprintf("built for %s %s (%s); this host speaks %s, and %s", d.Name, v, from, host, ruleWords[d.Exchange.Rule]),
				fmt.Sprintf("build the plugin against %s %s, or check it against the host version it was built for (--host-version)", d.Name, host),
				report.Incompatible)
		}
	}

	switch d.Exchange.Kind {
	case abi.KindSymbolName:
		if rep.Entry != "" {
			accept(host, entry+" names it")
			break
		}
		// Another version's symbol: the file says which version it is.
		pattern := symbolPattern(d.Entry.Symbol)
		for _, s := range f.Exports {
			m := pattern.FindStringSubmatch(s.Name)
			if m == nil {
				continue
			}
			if v, ok := versionFromName(pattern, m); ok {
				rep.Entry = sanitize.Untrusted(s.Name)
				accept(v, s.Name+" names it")
				return
			}
		}
		r.add(report.Error, report.NoEntryPoint, "no "+entry+" export", entryHint(d), report.NotPlugin)
		return
	case abi.KindDescriptor:
		if rep.Entry == "" {
			break
		}
		if _, ok := exported(d.Exchange.Symbol); !ok {
			r.add(report.Error, report.NoEntryPoint, "no "+d.Exchange.Symbol+" export (the descriptor that holds the plugin's version)", entryHint(d), report.NotPlugin)
			return
		}
		if v, from, err := r.descriptorVersion(d); err != nil {
			r.add(report.Error, report.ABIVersion, err.Error(),
				"export "+d.Exchange.Symbol+" as initialised data, as the host's header declares it", report.Invalid)
		} else if from != "" {
			accept(v, from)
		}
	}
	if rep.Entry == "" {
		r.add(report.Error, report.NoEntryPoint, "no "+entry+" export", entryHint(d), report.NotPlugin)
	}
}

// ruleWords say a rule in a finding.
var ruleWords = map[abi.Rule]string{
	abi.Exact:   "the versions must be the same",
	abi.Minor:   "the major versions must be the same and the plugin's minor no newer",
	abi.Major:   "the major versions must be the same",
	abi.AtMost:  "the plugin's version must be no newer",
	abi.AtLeast: "the plugin's version must be no older",
}

func entryHint(d *abi.Description) string {
	what := "function"
	if d.Entry.Field != "" {
		what = "data object"
	}
	return "export the entry point " + d.Entry.Declaration + " (a " + what + ", as " + d.HeaderFile + " declares it) with C linkage: extern \"C\" in C++, #[unsafe(no_mangle)] in Rust"
}

// descriptorVersion reads the plugin's version from its descriptor, laid
// out for the file's own target. from says where it came from; it is ""
// when the file's target has no layout (the version is then not known).
func (r *Report) descriptorVersion(d *abi.Description) (v abi.Version, from string, err error) {
	f := r.file
	t, ok := target(f)
	if !ok {
		return v, "", nil
	}
	l, err := d.Layout(t)
	if err != nil {
		return v, "", nil // abi check's business: the description, not the plugin
	}
	data := f.Data[d.Exchange.Symbol]
	if int64(len(data)) < l.DescriptorSize {
		return v, "", fmt.Errorf("%s is %d bytes in the file, but %s's layout for %s needs %d: it is not initialised data, or not the host's type",
			d.Exchange.Symbol, len(data), d.Name, t, l.DescriptorSize)
	}
	v, from = d.DescriptorVersion(l, data, f.ByteOrder)
	return v, from, nil
}

// symbolPattern matches an entry symbol with the version in its name.
func symbolPattern(symbol string) *regexp.Regexp {
	q := regexp.QuoteMeta(symbol)
	q = strings.ReplaceAll(q, regexp.QuoteMeta("{major}"), `(?P<major>0|[1-9][0-9]{0,8})`)
	q = strings.ReplaceAll(q, regexp.QuoteMeta("{minor}"), `(?P<minor>0|[1-9][0-9]{0,8})`)
	return regexp.MustCompile("^" + q + "$")
}

func versionFromName(p *regexp.Regexp, m []string) (abi.Version, bool) {
	var v abi.Version
	for i, name := range p.SubexpNames() {
		n, err := strconv.ParseUint(m[i], 10, 32)
		switch {
		case name == "major" && err == nil:
			v.Major = uint32(n)
		case name == "minor" && err == nil:
			v.Minor, v.Dotted = uint32(n), true
		case name != "":
			return v, false
		}
	}
	return v, true
}
