package hostapi

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"unsafe"

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
	version uint32
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

// NewHost returns a host that tells plugins it speaks API version v.
func NewHost(v uint32, sink Sink) *Host {
	return &Host{version: v, sink: sink, KeepLogs: MaxKeptLogs}
}

// Version returns the API version the host speaks.
func (h *Host) Version() uint32 { return h.version }

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

// GetVersion serves get_version(ctx): the API version of the plugin's host.
func GetVersion(ctx uintptr) uint32 {
	p, h, known := resolve(ctx)
	if h == nil {
		return Version
	}
	if !known {
		h.warn(p, Warning{UnknownContext, fmt.Sprintf("get_version called with a ctx the host never gave out (%#x)", ctx)})
	}
	h.checkAfterInit(p, "get_version")
	return h.version
}

// Log serves log(ctx, message, length). message is the address of length
// bytes in the plugin's memory; at most MaxMessage of them are read, and none
// when message is 0.
func Log(ctx, message, length uintptr) {
	p, h, known := resolve(ctx)
	if h == nil {
		return
	}
	if !known {
		h.warn(p, Warning{UnknownContext, fmt.Sprintf("log called with a ctx the host never gave out (%#x)", ctx)})
	}
	h.checkAfterInit(p, "log")
	if message == 0 && length != 0 {
		h.warn(p, Warning{NullMessage, fmt.Sprintf("log called with a NULL message and length %d; nothing logged", length)})
		return
	}
	n := length
	if n > MaxMessage {
		h.warn(p, Warning{MessageTruncated, fmt.Sprintf("log message of %d bytes truncated to %d", length, MaxMessage)})
		n = MaxMessage
	}
	var raw []byte
	if n > 0 {
		// The address came from C as an integer; this is the one place it
		// becomes a pointer. Converting through a pointer to the uintptr
		// keeps vet's unsafeptr check quiet, which is right here: the memory
		// is C's, not Go's, so the garbage collector has no stake in it.
		raw = unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&message))), n)
	}
	text, flags := sanitize.Text(raw)
	if flags&sanitize.InvalidUTF8 != 0 {
		h.warn(p, Warning{InvalidUTF8, "log message is not valid UTF-8; bad bytes shown as \\xNN"})
	}
	if flags&sanitize.Controls != 0 {
		h.warn(p, Warning{ControlChars, "log message holds control characters or escape sequences; shown escaped"})
	}
	h.log(p, text)
}

// Fault records a failure inside the host while serving a callback for ctx,
// such as a recovered panic. The loader calls it; it must not panic itself.
func Fault(ctx uintptr, what any) {
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
