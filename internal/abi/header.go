package abi

import (
	"errors"
	"fmt"
	"strings"
	"testing/fstest"
	"time"

	"modernc.org/cc/v4"
)

// Target is a system plugins are built for, as Go names it.
type Target struct{ OS, Arch string }

func (t Target) String() string { return t.OS + "/" + t.Arch }

// Targets are the systems whose layouts a description can give: those
// cc/v4 has ABI tables for that plugctl reads plugins of.
var Targets = []Target{
	{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "386"},
	{"windows", "amd64"}, {"windows", "arm64"}, {"windows", "386"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
}

// headerLimit bounds what macro expansion may do in a header: a few
// hundred bytes can otherwise take hours and all memory.
const headerLimit = 1 << 20

// system headers: the only ones a description's header may include, the
// C standard's freestanding types. Anything else is the host's business.
var systemHeaders = fstest.MapFS{
	"stdint.h": {Data: []byte(`#ifndef _PLUGCTL_STDINT_H
#define _PLUGCTL_STDINT_H
typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef short int16_t;
typedef unsigned short uint16_t;
typedef int int32_t;
typedef unsigned int uint32_t;
typedef long long int64_t;
typedef unsigned long long uint64_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef long long intmax_t;
typedef unsigned long long uintmax_t;
#define INT8_MAX 127
#define UINT8_MAX 255
#define INT16_MAX 32767
#define UINT16_MAX 65535
#define INT32_MAX 2147483647
#define UINT32_MAX 4294967295u
#define INT64_MAX 9223372036854775807ll
#define UINT64_MAX 18446744073709551615ull
#define UINT32_C(x) x ## u
#define UINT64_C(x) x ## ull
#define INT32_C(x) x
#define INT64_C(x) x ## ll
#endif
`)},
	"stddef.h": {Data: []byte(`#ifndef _PLUGCTL_STDDEF_H
#define _PLUGCTL_STDDEF_H
typedef __SIZE_TYPE__ size_t;
typedef __PTRDIFF_TYPE__ ptrdiff_t;
typedef __WCHAR_TYPE__ wchar_t;
#define NULL ((void *)0)
#define offsetof(type, member) ((size_t)&(((type *)0)->member))
#endif
`)},
	"stdbool.h": {Data: []byte(`#ifndef _PLUGCTL_STDBOOL_H
#define _PLUGCTL_STDBOOL_H
#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1
#endif
`)},
}

// predefined are the macros a C compiler for t defines that headers test,
// and the declaration cc/v4 expects first.
func predefined(t Target) string {
	var b strings.Builder
	b.WriteString("#define __STDC__ 1\n#define __STDC_VERSION__ 201710L\n#define __STDC_HOSTED__ 1\n#define __CHAR_BIT__ 8\n")
	ptr64 := t.Arch != "386"
	switch {
	case !ptr64:
		b.WriteString("#define __SIZE_TYPE__ unsigned int\n#define __PTRDIFF_TYPE__ int\n#define __INTPTR_TYPE__ int\n#define __UINTPTR_TYPE__ unsigned int\n#define __ILP32__ 1\n")
	case t.OS == "windows":
		b.WriteString("#define __SIZE_TYPE__ unsigned long long\n#define __PTRDIFF_TYPE__ long long\n#define __INTPTR_TYPE__ long long\n#define __UINTPTR_TYPE__ unsigned long long\n")
	default:
		b.WriteString("#define __SIZE_TYPE__ unsigned long\n#define __PTRDIFF_TYPE__ long\n#define __INTPTR_TYPE__ long\n#define __UINTPTR_TYPE__ unsigned long\n#define __LP64__ 1\n#define _LP64 1\n")
	}
	switch t.OS {
	case "windows":
		b.WriteString("#define __WCHAR_TYPE__ unsigned short\n#define _WIN32 1\n")
		if ptr64 {
			b.WriteString("#define _WIN64 1\n")
		}
		// Microsoft's keywords, which cc/v4 does not know: export and
		// calling-convention markers say nothing about layout.
		b.WriteString("#define __declspec(x)\n#define __cdecl\n#define __stdcall\n#define __fastcall\n")
	case "darwin":
		b.WriteString("#define __WCHAR_TYPE__ int\n#define __APPLE__ 1\n#define __MACH__ 1\n")
	default:
		b.WriteString("#define __WCHAR_TYPE__ int\n#define __linux__ 1\n#define __linux 1\n#define __unix__ 1\n#define __unix 1\n#define __ELF__ 1\n")
	}
	switch t.Arch {
	case "amd64":
		b.WriteString("#define __x86_64__ 1\n#define __x86_64 1\n#define __amd64__ 1\n")
	case "386":
		b.WriteString("#define __i386__ 1\n#define __i386 1\n")
	case "arm64":
		b.WriteString("#define __aarch64__ 1\n")
	}
	b.WriteString("int __predefined_declarator;\n")
	return b.String()
}

// header is a description's header parsed for one target: the
// declarations the header itself makes, by name, and its struct tags.
type header struct {
	target Target
	ast    *cc.AST
	decls  map[string]*cc.Declarator
	tags   map[string]cc.Type // "struct NAME" and "union NAME"
}

// parseHeader parses src, named name, for t. Its errors are at
// file:line:column.
func parseHeader(name string, src []byte, t Target) (h *header, err error) {
	defer func() {
		// cc/v4 is a large parser of untrusted text: a panic in it is a
		// header it cannot read, not plugctl's end.
		if r := recover(); r != nil {
			h, err = nil, fmt.Errorf("%s: the C parser failed on this header (%v)", name, r)
		}
	}()
	abi, err := cc.NewABI(t.OS, t.Arch)
	if err != nil {
		return nil, fmt.Errorf("no C ABI tables for %s: %w", t, err)
	}
	sizeT, ptrdiffT := cc.ULong, cc.Long
	switch {
	case t.Arch == "386":
		sizeT, ptrdiffT = cc.UInt, cc.Int
	case t.OS == "windows":
		sizeT, ptrdiffT = cc.ULongLong, cc.LongLong
	}
	wcharT := cc.Int
	if t.OS == "windows" {
		wcharT = cc.UShort
	}
	cfg := &cc.Config{
		DefaultSizeT:    sizeT,
		DefaultPtrdiffT: ptrdiffT,
		DefaultWcharT:   wcharT,
		ABI:             abi,
		FS:              systemHeaders,
		FSOnly:          true,
		SysIncludePaths: []string{"."},
		Header:          true,
		ABILayout:       true,
		ExpansionLimit:  headerLimit,
		EvalAllMacros:   true,
	}
	ast, err := translate(cfg, []cc.Source{
		{Name: "<predefined>", Value: predefined(t)},
		{Name: name, Value: src},
		// cc/v4 (v4.34.0) loops for ever, growing its error list, on a
		// header that ends inside a declarator ("typedef int (*"): it
		// shifts past the end of input expecting a type qualifier. A
		// declaration after the header's own ends that loop.
		{Name: endSource, Value: "\nint __plugctl_end_of_header;\n"},
	})
	if err != nil {
		return nil, cleanCError(err)
	}
	h = &header{target: t, ast: ast, decls: map[string]*cc.Declarator{}, tags: map[string]cc.Type{}}
	for n, nodes := range ast.Scope.Nodes {
		for _, node := range nodes {
			switch d := node.(type) {
			case *cc.Declarator:
				if d.Position().Filename == name {
					h.decls[n] = d
				}
			case *cc.StructOrUnionSpecifier:
				if d.Position().Filename == name && d.Type() != nil {
					h.tags[tagName(d.Type())+" "+n] = d.Type()
				}
			}
		}
	}
	return h, nil
}

// endSource names the declaration parseHeader adds after the header.
const endSource = "<end of header>"

// parseTimeout bounds cc/v4's work on one header. A header is parsed in
// milliseconds; one that takes longer trips a bug of the parser's.
var parseTimeout = 10 * time.Second

// translate runs cc.Translate, but gives up after parseTimeout: the
// parser's goroutine is then left to itself (it cannot be stopped), and
// the header refused.
func translate(cfg *cc.Config, sources []cc.Source) (*cc.AST, error) {
	type result struct {
		ast *cc.AST
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{nil, fmt.Errorf("the C parser failed on this header (%v)", r)}
			}
		}()
		ast, err := cc.Translate(cfg, sources)
		done <- result{ast, err}
	}()
	select {
	case r := <-done:
		return r.ast, r.err
	case <-time.After(parseTimeout):
		return nil, fmt.Errorf("the C parser did not finish with this header in %v", parseTimeout)
	}
}

func tagName(t cc.Type) string {
	if t.Kind() == cc.Union {
		return "union"
	}
	return "struct"
}

// cleanCError keeps cc/v4's messages, one per line, without the parser's
// own source positions it appends in parentheses.
func cleanCError(err error) error {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if i := strings.LastIndex(l, " ("); i > 0 && strings.HasSuffix(l, ")") && strings.Contains(l[i:], ".go:") {
			l = l[:i]
		}
		if l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return errors.New("the header cannot be parsed")
	}
	return errors.New(strings.Join(lines, "\n"))
}

// lookupType finds a type by the name a description gives it: a typedef
// name, or "struct NAME" / "union NAME".
func (h *header) lookupType(name string) (cc.Type, bool) {
	if t, ok := h.tags[name]; ok {
		return t, true
	}
	if d, ok := h.decls[name]; ok && d.IsTypename() {
		return d.Type(), true
	}
	return nil, false
}
