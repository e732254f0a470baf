package report

import "testing"

// A CR that ends a line goes with the line break; any other CR, which could
// rewrite a terminal line, stays escaped, as does one at the very end
// (nothing follows it to make it a line end).
func TestCaptureLineEnds(t *testing.T) {
	data := "one\r\ntwo\rthree\r\nfour\r"
	got := Capture([]byte(data), int64(len(data)))
	if want := "one\ntwo\\rthree\nfour\\r"; got.Text != want {
		t.Errorf("Capture(%q).Text = %q, want %q", data, got.Text, want)
	}
	if got.Bytes != int64(len(data)) {
		t.Errorf("Bytes = %d, want the raw %d", got.Bytes, len(data))
	}
}

// Truncated says whether the plugin wrote more than was kept.
func TestCaptureTruncated(t *testing.T) {
	if got := Capture([]byte("abc"), 3); got.Truncated || got.Bytes != 3 {
		t.Errorf("all kept: %+v", got)
	}
	if got := Capture([]byte("abc"), 10); !got.Truncated || got.Bytes != 10 || got.Text != "abc" {
		t.Errorf("3 of 10 kept: %+v", got)
	}
}
