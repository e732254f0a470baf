package worker

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// Output is what a plugin wrote to one of fd 1 and fd 2: the first bytes of
// it, up to the capture's cap, and how much there was in all.
type Output struct {
	Data  []byte
	Total int64
}

// Truncated reports whether the plugin wrote more than Data holds.
func (o Output) Truncated() bool { return o.Total > int64(len(o.Data)) }

// Append returns o followed by more, keeping at most limit bytes of data.
func (o Output) Append(more Output, limit int) Output {
	if room := limit - len(o.Data); room > 0 {
		o.Data = append(o.Data[:len(o.Data):len(o.Data)], more.Data[:min(room, len(more.Data))]...)
	}
	o.Total += more.Total
	return o
}

// capture reads one of a worker's output pipes to its end, keeping at most
// limit bytes of each plugin's output and splitting plugins at the marker
// the worker writes after each one. The pipe is always drained, so a plugin
// that writes without end never blocks on it.
type capture struct {
	marker []byte
	limit  int

	mu       sync.Mutex
	cur      Output
	segments []Output // ended by a marker, not yet taken
	eof      bool
	changed  chan struct{} // closed and replaced on every change
}

func newCapture(r io.Reader, marker []byte, limit int) *capture {
	c := &capture{marker: marker, limit: limit, changed: make(chan struct{})}
	go c.read(r)
	return c
}

func (c *capture) read(r io.Reader) {
	buf := make([]byte, 64<<10)
	var carry []byte // a tail that may be the start of a marker
	for {
		n, err := r.Read(buf)
		if n > 0 {
			data := buf[:n]
			if len(carry) > 0 {
				data = append(carry, data...)
				carry = nil
			}
			c.mu.Lock()
			for {
				i := bytes.Index(data, c.marker)
				if i < 0 {
					break
				}
				c.add(data[:i])
				c.segments = append(c.segments, c.cur)
				c.cur = Output{}
				data = data[i+len(c.marker):]
			}
			// Keep back what could be the beginning of a marker split
			// across reads.
			keep := partialSuffix(data, c.marker)
			c.add(data[:len(data)-keep])
			carry = append([]byte(nil), data[len(data)-keep:]...)
			c.signal()
			c.mu.Unlock()
		}
		if err != nil {
			c.mu.Lock()
			c.add(carry)
			c.eof = true
			c.signal()
			c.mu.Unlock()
			return
		}
	}
}

// partialSuffix returns the length of the longest suffix of data that is a
// proper prefix of marker.
func partialSuffix(data, marker []byte) int {
	for k := min(len(marker)-1, len(data)); k > 0; k-- {
		if bytes.HasPrefix(marker, data[len(data)-k:]) {
			return k
		}
	}
	return 0
}

func (c *capture) add(b []byte) {
	c.cur.Total += int64(len(b))
	if room := c.limit - len(c.cur.Data); room > 0 {
		c.cur.Data = append(c.cur.Data, b[:min(room, len(b))]...)
	}
}

func (c *capture) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// next returns the output of the next plugin: up to its marker, or to the
// end of the pipe. ok is false when neither came within wait; the output so
// far is returned then, and later output is no longer attributable.
func (c *capture) next(wait time.Duration) (out Output, ok bool) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		if len(c.segments) > 0 {
			out = c.segments[0]
			c.segments = c.segments[1:]
			c.mu.Unlock()
			return out, true
		}
		if c.eof {
			out, c.cur = c.cur, Output{}
			c.mu.Unlock()
			return out, true
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			c.mu.Lock()
			out, c.cur = c.cur, Output{}
			c.mu.Unlock()
			return out, false
		}
	}
}
