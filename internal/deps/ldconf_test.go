package deps

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/plugctl/plugctl/internal/inspect"
)

func TestReadLdSoConf(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("ld.so.conf", "# comment\n/opt/first\ninclude conf.d/*.conf\n/opt/last # trailing comment\nhwcap 0 nosegneg\n")
	write("conf.d/b.conf", "/opt/b1,/opt/b2:/opt/b3\t/opt/b4\n/opt/first\n")
	write("conf.d/a.conf", "/opt/a\ninclude "+filepath.Join(dir, "ld.so.conf")+"\nrelative/ignored\n/opt/typed=libc6\n")
	write("conf.d/self.conf", "include self.conf\n/opt/self\n")
	write("conf.d/skip.txt", "/opt/not-a-conf-file\n")
	got := ReadLdSoConf(filepath.Join(dir, "ld.so.conf"))
	want := []string{"/opt/first", "/opt/a", "/opt/typed", "/opt/b1", "/opt/b2", "/opt/b3", "/opt/b4", "/opt/self", "/opt/last"}
	if !slices.Equal(got, want) {
		t.Errorf("ReadLdSoConf = %v\nwant %v", got, want)
	}
	if got := ReadLdSoConf(filepath.Join(dir, "missing.conf")); got != nil {
		t.Errorf("missing file: %v", got)
	}
}

func TestExpandDST(t *testing.T) {
	f := &inspect.File{Arch: "x86_64", Bits: 64}
	lib := libDir(f)
	got := expandDST([]string{"$ORIGIN/a", "${ORIGIN}/../b", "/x/$LIB/y", "/p/$PLATFORM", "$LIBDIR/z", "", "$ORIGINAL"}, "/plugins/libp.so", f)
	want := []string{"/plugins/a", "/plugins/../b", "/x/" + lib + "/y", "/p/x86_64", "$LIBDIR/z", ".", "$ORIGINAL"}
	if !slices.Equal(got, want) {
		t.Errorf("expandDST = %q\nwant %q", got, want)
	}
}
