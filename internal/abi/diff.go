package abi

import (
	"fmt"
	"slices"
)

// Change is one difference between two descriptions laid out for the same
// target, and whether it breaks plugins built against the old one.
type Change struct {
	What   string // what changed, in a sentence
	Breaks bool   // a plugin built against old fails, or misbehaves, under new
}

// Diff compares old and new, two host versions' descriptions, laid out for
// t: what a plugin built against old meets in a host of new, and whether a
// plugin built against new can tell a host of old. Appending callbacks to
// the table is compatible only when it can: the table carries its size or
// its version, or the plugin asks the host's version (a callback).
func Diff(old, new *Description, t Target) ([]Change, error) {
	lo, err := old.Layout(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", old.File, err)
	}
	ln, err := new.Layout(t)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", new.File, err)
	}
	var out []Change
	add := func(breaks bool, format string, a ...any) {
		out = append(out, Change{What: fmt.Sprintf(format, a...), Breaks: breaks})
	}

	eo, en := old.Entry, new.Entry
	if eo.Symbol != en.Symbol {
		add(true, "the entry symbol is %s, not %s: plugins export the old one", en.Symbol, eo.Symbol)
	}
	if eo.Field != en.Field {
		add(true, "the entry point is the member %q of the object, not %q", en.Field, eo.Field)
	}
	if lo.Entry != ln.Entry {
		add(true, "the entry point is %s, not %s", ln.Entry, lo.Entry)
	}
	if !slices.Equal(eo.Args, en.Args) {
		add(true, "the host passes the entry point %v, not %v", en.Args, eo.Args)
	}
	if lo.Success != ln.Success {
		add(true, "a plugin has started when the entry point returns %s, not %s", ln.Success, lo.Success)
	}

	xo, xn := old.Exchange, new.Exchange
	if xo.Kind != xn.Kind {
		add(true, "the version is agreed by %s, not by %s", xn.Kind, xo.Kind)
	}
	if xo.Symbol != xn.Symbol {
		add(true, "the version is in %s, not in %s", xn.Symbol, xo.Symbol)
	}
	if !slices.Equal(xo.Packed, xn.Packed) {
		add(true, "the version is packed as %v, not %v", xn.Packed, xo.Packed)
	}
	if xo.Rule != xn.Rule {
		add(ruleStricter(xo.Rule, xn.Rule), "the rule is %s, not %s", xn.Rule, xo.Rule)
	}
	for _, f := range []struct {
		role   string
		fo, fn Field
	}{{"version", lo.VersionField, ln.VersionField}, {"major version", lo.MajorField, ln.MajorField}, {"minor version", lo.MinorField, ln.MinorField}} {
		if f.fo.Path != "" && (f.fo.Offset != f.fn.Offset || f.fo.Size != f.fn.Size) {
			add(true, "the descriptor's %s is %d bytes at offset %d, not %d bytes at %d", f.role, f.fn.Size, f.fn.Offset, f.fo.Size, f.fo.Offset)
		}
	}
	if lo.EntryOffset != ln.EntryOffset && eo.Field != "" && eo.Field == en.Field {
		add(true, "the entry point's member %s is at offset %d, not %d", en.Field, ln.EntryOffset, lo.EntryOffset)
	}

	out = append(out, diffTables(old, new, lo, ln)...)
	return out, nil
}

// ruleStricter reports whether a plugin the old rule accepts may be
// refused by the new one: whether new does not accept all old does.
func ruleStricter(old, new Rule) bool {
	switch {
	case new == old, old == Exact: // every rule accepts the same version
		return false
	case old == Minor: // the same major, an older minor
		return new != Major && new != AtMost
	}
	return true
}

func diffTables(old, new *Description, lo, ln *Layout) []Change {
	var out []Change
	add := func(breaks bool, format string, a ...any) {
		out = append(out, Change{What: fmt.Sprintf(format, a...), Breaks: breaks})
	}
	switch {
	case old.Table == nil && new.Table == nil:
		return nil
	case old.Table == nil:
		return []Change{{What: "the host passes a callback table it did not", Breaks: true}}
	case new.Table == nil:
		return []Change{{What: "the host passes no callback table", Breaks: true}}
	}
	byName := map[string]Member{}
	for _, m := range ln.Members {
		byName[m.Name] = m
	}
	for _, m := range lo.Members {
		n, ok := byName[m.Name]
		switch {
		case !ok:
			add(true, "%s is gone from the table: a plugin calls whatever is at offset %d", m.Name, m.Offset)
		case n.Offset != m.Offset:
			add(true, "%s moved from offset %d to %d: a plugin calls another callback", m.Name, m.Offset, n.Offset)
		case n.Type != m.Type:
			add(true, "%s is %s, not %s", m.Name, n.Type, m.Type)
		case n.Does != m.Does:
			add(false, "the host's %s does %s, not %s", m.Name, n.Does, m.Does)
		}
	}
	told := new.Table.Size != "" || new.Table.Version != "" || new.Exchange.Kind == KindCallback
	for _, m := range ln.Members {
		if slices.ContainsFunc(lo.Members, func(o Member) bool { return o.Name == m.Name }) {
			continue
		}
		if m.Offset < lo.TableSize {
			add(true, "%s is new at offset %d, inside the old table: an old plugin calls it for another callback", m.Name, m.Offset)
		} else if told {
			add(false, "%s is appended at offset %d: old plugins do not call it, new ones can tell whether the host has it", m.Name, m.Offset)
		} else {
			add(true, "%s is appended at offset %d, but the table carries neither its size nor its version: a new plugin cannot tell an old host, and calls past its table", m.Name, m.Offset)
		}
	}
	return out
}
