package worker

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// chunks reads its data n bytes at a time, so markers straddle reads.
type chunks struct {
	data []byte
	n    int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(p), len(c.data))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// FuzzCapture checks the splitting of a worker's output at its markers
// against bytes.Split, for any output a plugin could write (including
// partial markers) read in any chunk size. Every 0x01 byte of the input
// stands for a marker.
func FuzzCapture(f *testing.F) {
	mark := []byte(marker("0123456789abcdef01234567"))
	f.Add([]byte("one\x01two\x01"), uint8(1), uint8(4))
	f.Add(append([]byte("x"), mark[:10]...), uint8(3), uint8(100))
	f.Add(append(append([]byte("a\x01"), mark[:len(mark)-1]...), "\x01b"...), uint8(7), uint8(2))
	f.Fuzz(func(t *testing.T, in []byte, chunk, limit uint8) {
		stream := bytes.ReplaceAll(in, []byte{1}, mark)
		c := newCapture(&chunks{data: stream, n: int(chunk) + 1}, mark, int(limit))
		want := bytes.Split(stream, mark)
		for i, w := range want {
			out, ok := c.next(5 * time.Second)
			if !ok {
				t.Fatalf("segment %d: timed out", i)
			}
			keep := w[:min(len(w), int(limit))]
			if out.Total != int64(len(w)) || !bytes.Equal(out.Data, keep) {
				t.Fatalf("segment %d: got %q (%d bytes), want %q (%d)", i, out.Data, out.Total, keep, len(w))
			}
		}
		// After the end, only empty output.
		if out, ok := c.next(time.Second); !ok || out.Total != 0 {
			t.Fatalf("after the end: %q %v", out.Data, ok)
		}
	})
}

// An event line over the limit is not kept, but stands in the stream as a
// line no worker writes (a forged one); the lines around it are read as
// they are, and a last line without a newline is read too.
func TestReadLineDropsLongLines(t *testing.T) {
	long := bytes.Repeat([]byte("y"), 300)
	in := "first\n" + string(long) + "\nlast\nno newline"
	br := bufioReader(in)
	var got []string
	for {
		line, err := readLine(br, 100)
		if err != nil {
			break
		}
		got = append(got, string(line))
	}
	if len(got) != 4 || got[0] != "first" || got[1] != "(a line of over 1 MiB)" || got[2] != "last" || got[3] != "no newline" {
		t.Errorf("lines %q", got)
	}
}

// bufioReader reads s through a buffer smaller than the lines, as a pipe
// delivers them.
func bufioReader(s string) *bufio.Reader { return bufio.NewReaderSize(strings.NewReader(s), 16) }

// Truncated means more was written than kept: not when they are equal.
func TestOutputTruncatedAndAppendLimit(t *testing.T) {
	if (Output{Data: []byte("ab"), Total: 2}).Truncated() {
		t.Error("2 of 2 bytes kept: not truncated")
	}
	if !(Output{Data: []byte("ab"), Total: 3}).Truncated() {
		t.Error("2 of 3 bytes kept: truncated")
	}
	o := Output{Data: []byte("abc"), Total: 3}.Append(Output{Data: []byte("def"), Total: 3}, 4)
	if string(o.Data) != "abcd" || o.Total != 6 || !o.Truncated() {
		t.Errorf("Append up to 4 bytes: %q of %d", o.Data, o.Total)
	}
}

// partialSuffix finds the longest tail that may start a marker, never the
// whole marker (which is no longer partial).
func TestPartialSuffix(t *testing.T) {
	marker := []byte("<END>")
	for _, tt := range []struct {
		data string
		want int
	}{
		{"text<EN", 3}, {"text<", 1}, {"text", 0}, {"", 0}, {"<END", 4}, {"x<END>", 0}, {"<E<END", 4},
	} {
		if got := partialSuffix([]byte(tt.data), marker); got != tt.want {
			t.Errorf("partialSuffix(%q) = %d, want %d", tt.data, got, tt.want)
		}
	}
}
