package sandbox

import (
	"slices"
	"testing"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": Off, "off": Off, "false": Off, "true": Strict, "strict": Strict, "on": Strict, "best-effort": BestEffort} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"maybe", "Strict", "best_effort"} {
		if _, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q) accepted", bad)
		}
	}
}

// A policy crosses to the worker as one argument and comes back whole;
// the confined worker's marker is told apart, and so is any other word.
func TestPolicyArg(t *testing.T) {
	p := Policy{Read: []string{"/usr/lib", "/a dir/with spaces,=and;more"}, Write: []string{"/tmp/x"}, Layers: []Layer{Landlock, Seccomp}}
	got, ok, done, err := FromArg(p.Arg())
	if err != nil || !ok || done || !slices.Equal(got.Read, p.Read) || !slices.Equal(got.Write, p.Write) || !slices.Equal(got.Layers, p.Layers) {
		t.Fatalf("FromArg(Arg()) = %+v, %v, %v, %v", got, ok, done, err)
	}
	if !got.Has(Seccomp) || got.Has(Namespaces) {
		t.Errorf("Has: %+v", got.Layers)
	}
	if _, ok, done, err := FromArg(confined); !ok || !done || err != nil {
		t.Errorf("the confined marker: %v %v %v", ok, done, err)
	}
	if _, ok, _, _ := FromArg("/dev/fd/3"); ok {
		t.Error("an argument that is no policy is taken for one")
	}
	if _, ok, _, err := FromArg(argPrefix + "!!"); !ok || err == nil {
		t.Errorf("a damaged policy: ok %v, err %v", ok, err)
	}
}

// The test harness's Unavailable adds to what the kernel lacks.
func TestProbeKernelUnavailable(t *testing.T) {
	defer func(u []Layer) { Unavailable = u }(Unavailable)
	Unavailable = []Layer{Seccomp}
	if !slices.ContainsFunc(ProbeKernel(), func(m Missing) bool { return m.Layer == Seccomp && m.Why != "" && m.Fix != "" }) {
		t.Error("seccomp made unavailable is not missing")
	}
}
