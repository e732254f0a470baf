//go:build linux

package procstate

import (
	"encoding/binary"
	"os"
	"slices"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// dirent makes one linux_dirent64 record named name.
func dirent(name string, pad int) []byte {
	reclen := 19 + len(name) + 1 + pad
	b := make([]byte, reclen)
	binary.LittleEndian.PutUint16(b[16:], uint16(reclen))
	copy(b[19:], name)
	return b
}

func TestDirentNumbers(t *testing.T) {
	var buf []byte
	for _, name := range []string{".", "..", "0", "17", "4194304", "12a", "a12", "12345678901"} {
		buf = append(buf, dirent(name, 3)...)
	}
	got, ok := direntNumbers(buf, nil)
	if !ok || !slices.Equal(got, []int{0, 17, 4194304}) {
		t.Errorf("direntNumbers = %v, %v; want [0 17 4194304], true", got, ok)
	}
	// A record that claims more than the buffer, or less than its header.
	for _, bad := range [][]byte{
		dirent("5", 0)[:15],
		append(dirent("5", 0), 1, 2),
		func() []byte { b := dirent("5", 0); b[16] = 40; return b }(),
		func() []byte { b := dirent("5", 0); b[16] = 19; return b }(),
	} {
		if _, ok := direntNumbers(bad, nil); ok {
			t.Errorf("direntNumbers(% x) took a malformed record", bad)
		}
	}
}

// The held directory is read again from its start, and a plugin that
// closes its descriptor, or opens another file on it, does not blind the
// snapshot: the file is opened again, and the other file is listed as the
// plugin's.
func TestHeldFileSurvivesAPlugin(t *testing.T) {
	fds := func() []int {
		var nums []int
		for _, f := range fdsNow() {
			nums = append(nums, f.Num)
		}
		return nums
	}
	first := fds()
	if again := fds(); !slices.Equal(first, again) {
		t.Fatalf("two listings differ: %v, then %v", first, again)
	}
	heldFDs.mu.Lock()
	num := heldFDs.fd
	heldFDs.mu.Unlock()
	if num < 0 || slices.Contains(first, num) {
		t.Fatalf("held descriptor %d: not open, or listed as the process's (%v)", num, first)
	}

	// Closed.
	unix.Close(num)
	if got := fds(); !slices.Equal(got, first) {
		t.Errorf("after the held descriptor was closed: %v, want %v", got, first)
	}
	heldFDs.mu.Lock()
	num = heldFDs.fd
	heldFDs.mu.Unlock()

	// Another file put on its number: that one is the process's now.
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Dup2(int(f.Fd()), num); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(num)
	got := fds()
	want := slices.Sorted(slices.Values(append(slices.Clone(first), int(f.Fd()), num)))
	if !slices.Equal(got, want) {
		t.Errorf("after another file was put on the held descriptor: %v, want %v", got, want)
	}
}

// The listing is reused only while the same descriptors are open on the
// same files: one closed and another opened, the count unchanged, is seen.
func TestUnchangedListing(t *testing.T) {
	if heldFDs.size() <= 0 {
		t.Skip("this kernel does not count descriptors in /proc/self/fd's size")
	}
	a, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	fdsNow()
	if _, ok := unchanged(heldFDs.size()); !ok {
		t.Fatal("unchanged: a listing of an unchanged process was not reused")
	}
	// The same number, another file.
	num := int(a.Fd())
	a.Close()
	b, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if int(b.Fd()) != num {
		t.Skipf("the new file got descriptor %d, not %d", b.Fd(), num)
	}
	if _, ok := unchanged(heldFDs.size()); ok {
		t.Error("unchanged: reused a listing though a descriptor is open on another file")
	}
	list := fdsNow()
	i := slices.IndexFunc(list, func(f FD) bool { return f.Num == num })
	if i < 0 || list[i].Desc != "/proc/"+strconv.Itoa(os.Getpid())+"/status" {
		t.Errorf("descriptor %d in %+v: want it on /proc/%d/status", num, list, os.Getpid())
	}
	// One more open: the count differs.
	c, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := unchanged(heldFDs.size()); ok {
		t.Error("unchanged: reused a listing though one more descriptor is open")
	}
}
