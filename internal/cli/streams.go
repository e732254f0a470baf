package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// Streams is where a command reads its environment and writes its output.
// Tests use buffers; System uses the process's own.
type Streams struct {
	Out, Err       io.Writer
	OutTTY, ErrTTY bool
	Getenv         func(string) string
	// ProgressDelay is how long a run goes before it draws a progress bar
	// on a terminal.
	ProgressDelay time.Duration

	outColor, errColor bool     // decided from --color once flags are parsed
	args               []string // the command line, without the program's name, for reports that record it
}

// System returns the process's standard streams.
func System() *Streams {
	return &Streams{
		Out:    os.Stdout,
		Err:    os.Stderr,
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
		Getenv: os.Getenv,

		ProgressDelay: time.Second,
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// to returns a copy of s that writes its output to w, without colour: a
// report written to a file.
func (s *Streams) to(w io.Writer) *Streams {
	c := *s
	c.Out, c.OutTTY, c.outColor = w, false, false
	return &c
}

// buffered returns a copy of s whose output is buffered, for a command
// that writes its whole report at the end (inspect, list): a line is not
// a write. Call flush when done; it says whether the output was written.
func (s *Streams) buffered() (c *Streams, flush func() error) {
	b := bufio.NewWriterSize(s.Out, 64<<10)
	cp := *s
	cp.Out = b
	return &cp, func() error {
		if err := b.Flush(); err != nil {
			return writeFailed(err)
		}
		return nil
	}
}

// setColor decides colour for both streams from the --color mode.
func (s *Streams) setColor(mode string) error {
	switch mode {
	case "always":
		s.outColor, s.errColor = true, true
	case "never":
		s.outColor, s.errColor = false, false
	case "auto":
		off := s.Getenv("NO_COLOR") != "" || s.Getenv("TERM") == "dumb"
		s.outColor, s.errColor = s.OutTTY && !off, s.ErrTTY && !off
	default:
		return usagef("invalid --color %q: want auto, always or never", mode)
	}
	return nil
}

// paint returns a function that colours text with attrs when on is true.
func paint(on bool, attrs ...color.Attribute) func(string) string {
	c := color.New(attrs...)
	if on {
		c.EnableColor()
	} else {
		c.DisableColor()
	}
	return func(s string) string { return c.Sprint(s) }
}

func (s *Streams) errorf(format string, a ...any) {
	fmt.Fprintf(s.Err, "%s %s\n", paint(s.errColor, color.FgRed, color.Bold)("plugctl: error:"), fmt.Sprintf(format, a...))
}

func (s *Streams) warnf(format string, a ...any) {
	fmt.Fprintf(s.Err, "%s %s\n", paint(s.errColor, color.FgYellow)("plugctl: warning:"), fmt.Sprintf(format, a...))
}

func (s *Streams) hintf(format string, a ...any) {
	fmt.Fprintf(s.Err, "%s %s\n", paint(s.errColor, color.FgCyan)("plugctl: hint:"), fmt.Sprintf(format, a...))
}
