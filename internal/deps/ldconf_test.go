package deps

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
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

// A '#' anywhere starts a comment, at the start of a line too; includes
// nest down to maxConfDepth levels, and no deeper.
func TestLdSoConfCommentsAndDepth(t *testing.T) {
	dir := t.TempDir()
	// level0.conf includes level1.conf ... each names /opt/levelN.
	levels := maxConfDepth + 2
	for n := 0; n < levels; n++ {
		text := "# /opt/commented-out\n/opt/level" + strconv.Itoa(n) + "\n"
		if n+1 < levels {
			text += "include level" + strconv.Itoa(n+1) + ".conf\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "level"+strconv.Itoa(n)+".conf"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := ReadLdSoConf(filepath.Join(dir, "level0.conf"))
	var want []string
	for n := 0; n <= maxConfDepth; n++ {
		want = append(want, "/opt/level"+strconv.Itoa(n))
	}
	if !slices.Equal(got, want) {
		t.Errorf("ReadLdSoConf = %v\nwant %v", got, want)
	}
}
