package hostapi

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"github.com/plugctl/plugctl/internal/loader"
	"github.com/plugctl/plugctl/internal/report"
	"github.com/plugctl/plugctl/internal/sanitize"
)

// MaxMessage is the number of bytes of one log message the host reads. A
// longer message is truncated to it, so an absurd length cannot make the host
// read far past the plugin's buffer.
const MaxMessage = 64 << 10

// MaxKeptLogs is the number of log lines a Plugin keeps for its report; all
// of them still reach the Sink.
const MaxKeptLogs = 10000

// WarningKind classifies a misuse of the host's callbacks.
type WarningKind int

const (
	NullMessage      WarningKind = iota // log with a NULL message and a non-zero length
	MessageTruncated                    // log with a length over MaxMessage
	InvalidUTF8                         // log message is not UTF-8
	ControlChars                        // log message holds control characters or escapes
	UnknownContext                      // a callback with a ctx the host never gave out
	CallbackFault                       // a callback failed inside the host (a bug in plugctl)
	AfterInit                           // a callback after init_plugin returned (reported only when asked for)
	numWarningKinds
)

var warningNames = [numWarningKinds]report.ID{
	NullMessage:      report.NullMessage,
	MessageTruncated: report.MessageTruncated,
	InvalidUTF8:      report.InvalidUTF8,
	ControlChars:     report.ControlCharacters,
	UnknownContext:   report.UnknownContext,
	CallbackFault:    report.CallbackFault,
	AfterInit:        report.AfterInit,
}

// String returns the kind's stable name, as used in JSON output.
func (k WarningKind) String() string { return string(k.ID()) }

// ID is the kind's finding id; out of range, its String.
func (k WarningKind) ID() report.ID {
	if k < 0 || k >= numWarningKinds {
		return report.ID(fmt.Sprintf("warning-%d", int(k)))
	}
	return warningNames[k]
}

// A Warning records one misuse of a callback by a plugin.
type Warning struct {
	Kind   WarningKind
	Detail string
}

func (w Warning) String() string { return w.Detail }

// A Sink receives what plugins send, as it happens. Calls are serialised per
// Host, and calls made from one plugin thread arrive in the order the thread
// made them. A Sink must not call back into the Host.
type Sink interface {
	// Log receives one sanitized log line. p is nil when the plugin could not
	// be identified (unknown ctx outside any init_plugin call).
	Log(p *Plugin, message sanitize.Line)
	// Warn receives the first warning of each kind per plugin; later ones of
	// the same kind are only counted. p is nil as for Log.
	Warn(p *Plugin, w Warning)
}

// A Host serves the callbacks of the plugins attached to it, speaking one API
// version, and reports what they send to its Sink.
type Host struct {
	version uint64 // as the ABI's version exchange encodes it
	sink    Sink
	mu      sync.Mutex // serialises Sink calls and Plugin records
	stray   pluginRecord

	// KeepLogs is how many log lines a Plugin keeps for its report
	// (MaxKeptLogs by default); a Host whose Sink keeps them can set 0.
	KeepLogs int
	// WarnAfterInit makes a callback from a plugin whose init_plugin has
	// returned a warning of kind AfterInit. The ABI allows such calls; a
	// verifier reports them because it stops watching when init returns.
	WarnAfterInit bool
}

// NewHost returns a host that tells plugins it speaks version v, encoded
// as the ABI's version exchange carries it (plugctl's own ABI: the API
// version).
func NewHost(v uint64, sink Sink) *Host {
	return &Host{version: v, sink: sink, KeepLogs: MaxKeptLogs}
}

// Version returns the version the host speaks, as NewHost was given it.
func (h *Host) Version() uint64 { return h.version }

// A Plugin is the host's state for one started plugin, found from the ctx
// handle the plugin passes back.
type Plugin struct {
	host   *Host
	handle uintptr
	name   string
	source string
	rec    pluginRecord // guarded by host.mu
}

type pluginRecord struct {
	returned bool // init_plugin has returned
	lines    int
	logs     []sanitize.Line
	warnings [numWarningKinds]int
	first    []Warning
}

// Attach registers a plugin called name, loaded from source (a path, for
// messages), and returns its state. Its Handle is
// the ctx to pass to init_plugin. Plugins are never detached: a plugin may
// call back for as long as the process lives.
func (h *Host) Attach(name, source string) *Plugin {
	registry.Lock()
	defer registry.Unlock()
	if registry.byHandle == nil {
		registry.byHandle = make(map[uintptr]*Plugin)
		// Handles start at a random base so that a ctx a plugin made up, or
		// kept from another run, is unlikely to name a real plugin.
		registry.next = uintptr(rand.Uint32()&0xffffff)<<8 | 0x1000
	}
	registry.next += 0x10
	p := &Plugin{host: h, handle: registry.next, name: name, source: source}
	registry.byHandle[p.handle] = p
	return p
}

// Handle returns the opaque ctx value for the plugin.
func (p *Plugin) Handle() uintptr { return p.handle }

// Name returns the name the plugin was attached with.
func (p *Plugin) Name() string { return p.name }

// Source returns where the plugin was loaded from, as given to Attach.
func (p *Plugin) Source() string { return p.source }

// BeginInit marks p as the plugin whose init_plugin is running: a callback with
// an unknown ctx made meanwhile is counted against it. EndInit ends that.
func (p *Plugin) BeginInit() {
	registry.Lock()
	registry.active, registry.recent = p, p.host
	registry.Unlock()
}

// EndInit ends what BeginInit started: init_plugin has returned.
func (p *Plugin) EndInit() {
	registry.Lock()
	if registry.active == p {
		registry.active = nil
	}
	registry.Unlock()
	p.host.mu.Lock()
	p.rec.returned = true
	p.host.mu.Unlock()
}

// Lines returns the number of log lines the plugin sent.
func (p *Plugin) Lines() int {
	p.host.mu.Lock()
	defer p.host.mu.Unlock()
	return p.rec.lines
}

// Logs returns the first MaxKeptLogs log lines the plugin sent.
func (p *Plugin) Logs() []sanitize.Line {
	p.host.mu.Lock()
	defer p.host.mu.Unlock()
	return append([]sanitize.Line(nil), p.rec.logs...)
}

// Warnings returns the first warning of each kind, in the order they came.
func (p *Plugin) Warnings() []Warning {
	p.host.mu.Lock()
	defer p.host.mu.Unlock()
	return append([]Warning(nil), p.rec.first...)
}

// WarningCount returns the number of warnings of every kind.
func (p *Plugin) WarningCount() int {
	p.host.mu.Lock()
	defer p.host.mu.Unlock()
	n := 0
	for _, c := range p.rec.warnings {
		n += c
	}
	return n
}

var registry struct {
	sync.RWMutex
	byHandle map[uintptr]*Plugin
	next     uintptr
	active   *Plugin // the plugin whose init_plugin is running, if any
	// recent is the host of the plugin whose init_plugin ran last: a
	// stray call (an unknown ctx after every init_plugin returned) most
	// likely comes from what that plugin left running, so its host hears
	// of it.
	recent *Host
}

// resolve finds the plugin for ctx. When ctx is unknown it returns the plugin
// to blame (the one in init_plugin, or nil) and the host to report to (that
// plugin's, or the host of the plugin that ran last, or nil before any ran).
func resolve(ctx uintptr) (p *Plugin, h *Host, known bool) {
	registry.RLock()
	defer registry.RUnlock()
	if p := registry.byHandle[ctx]; p != nil {
		return p, p.host, true
	}
	if p := registry.active; p != nil {
		return p, p.host, false
	}
	return nil, registry.recent, false
}

// Callbacks serves the host callbacks of an ABI (package synth makes them
// from its description) for every plugin attached to a Host in this
// process: it finds a call's plugin by the context it passes, warns of a
// context the host never gave out and of a call after the entry point
// returned, and logs what log callbacks send. Its methods are safe to call
// from any thread, and must not panic.
type Callbacks struct{}

// enter finds the plugin and host of a call to callback name, whose
// context argument is ctx when hasCtx, and warns of what is wrong with the
// call. h is nil when no plugin has started yet.
func (Callbacks) enter(name string, ctx uintptr, hasCtx bool) (*Plugin, *Host) {
	if !hasCtx {
		ctx = 0 // never a handle: the plugin starting is the caller
	}
	p, h, known := resolve(ctx)
	if h == nil {
		return nil, nil
	}
	if hasCtx && !known {
		h.warn(p, Warning{UnknownContext, fmt.Sprintf("%s called with a ctx the host never gave out (%#x)", name, ctx)})
	}
	h.checkAfterInit(p, name)
	return p, h
}

// Version serves a callback that returns the host's version: the version
// of the calling plugin's host, encoded as the ABI's exchange carries it,
// and false when no plugin has started yet.
func (c Callbacks) Version(name string, ctx uintptr, hasCtx bool) (uint64, bool) {
	_, h := c.enter(name, ctx, hasCtx)
	if h == nil {
		return 0, false
	}
	return h.version, true
}

// Record serves a callback whose calls are reported: call, as C would
// write it, becomes one of the plugin's log lines, "call " and call.
func (c Callbacks) Record(name string, ctx uintptr, hasCtx bool, call string) {
	p, h := c.enter(name, ctx, hasCtx)
	if h != nil {
		text, _ := sanitize.Text([]byte("call " + call))
		h.log(p, text)
	}
}

// Called serves a callback that only answers a constant.
func (c Callbacks) Called(name string, ctx uintptr, hasCtx bool) { c.enter(name, ctx, hasCtx) }

// Log serves a log callback: message is the address of length bytes in
// the plugin's memory. At most MaxMessage bytes are read, and none when
// message is 0.
func (c Callbacks) Log(name string, ctx uintptr, hasCtx bool, message uintptr, length uint64) {
	p, h := c.enter(name, ctx, hasCtx)
	if h == nil {
		return
	}
	if message == 0 && length != 0 {
		h.warn(p, Warning{NullMessage, fmt.Sprintf("%s called with a NULL message and length %d; nothing logged", name, length)})
		return
	}
	n := length
	if n > MaxMessage {
		h.warn(p, Warning{MessageTruncated, fmt.Sprintf("%s message of %d bytes truncated to %d", name, n, MaxMessage)})
		n = MaxMessage
	}
	var raw []byte
	if n > 0 {
		raw = loader.Bytes(message, int(n))
	}
	h.logText(p, name, raw)
}

// LogString serves a log callback whose message is the NUL-terminated
// string at message. At most MaxMessage bytes are read.
func (c Callbacks) LogString(name string, ctx uintptr, hasCtx bool, message uintptr) {
	p, h := c.enter(name, ctx, hasCtx)
	if h == nil {
		return
	}
	if message == 0 {
		h.warn(p, Warning{NullMessage, name + " called with a NULL message; nothing logged"})
		return
	}
	raw := loader.CString(message, MaxMessage)
	if len(raw) == MaxMessage {
		h.warn(p, Warning{MessageTruncated, fmt.Sprintf("%s message without a NUL in its first %d bytes; truncated to them", name, MaxMessage)})
	}
	h.logText(p, name, raw)
}

// logText logs what callback name sent, sanitized, and warns of what
// sanitizing found.
func (h *Host) logText(p *Plugin, name string, raw []byte) {
	text, flags := sanitize.Text(raw)
	if flags&sanitize.InvalidUTF8 != 0 {
		h.warn(p, Warning{InvalidUTF8, name + " message is not valid UTF-8; bad bytes shown as \\xNN"})
	}
	if flags&sanitize.Controls != 0 {
		h.warn(p, Warning{ControlChars, name + " message holds control characters or escape sequences; shown escaped"})
	}
	h.log(p, text)
}

// Fault records a failure inside the host while serving a callback for ctx,
// such as a recovered panic. It must not panic itself.
func (Callbacks) Fault(ctx uintptr, what any) {
	p, h, _ := resolve(ctx)
	if h != nil {
		h.warn(p, Warning{CallbackFault, fmt.Sprintf("internal error in a host callback: %v", what)})
	}
}

// checkAfterInit warns when p's init_plugin has returned and the host was
// asked to report that.
func (h *Host) checkAfterInit(p *Plugin, callback string) {
	if !h.WarnAfterInit || p == nil {
		return
	}
	h.mu.Lock()
	returned := p.rec.returned
	h.mu.Unlock()
	if returned {
		h.warn(p, Warning{AfterInit, callback + " called after init_plugin returned (from a thread the plugin left running)"})
	}
}

func (h *Host) record(p *Plugin) *pluginRecord {
	if p == nil {
		return &h.stray
	}
	return &p.rec
}

func (h *Host) log(p *Plugin, text sanitize.Line) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.record(p)
	r.lines++
	if len(r.logs) < h.KeepLogs {
		r.logs = append(r.logs, text)
	}
	if h.sink != nil {
		h.sink.Log(p, text)
	}
}

func (h *Host) warn(p *Plugin, w Warning) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.record(p)
	r.warnings[w.Kind]++
	if r.warnings[w.Kind] > 1 {
		return
	}
	r.first = append(r.first, w)
	if h.sink != nil {
		h.sink.Warn(p, w)
	}
}
