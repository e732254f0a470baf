// Package synth is the synthetic host of a described ABI (package abi): it
// makes the host's callback table from the description's prototypes, once
// per process, agrees on a version with a plugin the way the description
// says (a handshake function, a descriptor in the plugin's memory, the
// entry symbol's name, or the plugin asking a callback), and calls the
// entry point with what the description says the host passes.
//
// It runs plugin code: it is for a worker process, never for plugctl.
package synth

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/plugctl/plugctl/internal/abi"
	"github.com/plugctl/plugctl/internal/loader"
)

// Handler serves what plugins do through the host's callbacks
// (hostapi.Callbacks is plugctl's). callback is the table member's name;
// ctx is the call's context argument when hasCtx, the description naming
// one. Its methods may be called from any thread.
type Handler interface {
	// Version returns the host's version, encoded as the exchange
	// carries it, for a version callback; false: the host's own.
	Version(callback string, ctx uintptr, hasCtx bool) (uint64, bool)
	// Log is a log callback's message: length bytes at message.
	Log(callback string, ctx uintptr, hasCtx bool, message uintptr, length uint64)
	// LogString is a log callback's NUL-terminated message.
	LogString(callback string, ctx uintptr, hasCtx bool, message uintptr)
	// Record is a record callback's call, as C would write it:
	// "set_param(0x2a, 7)".
	Record(callback string, ctx uintptr, hasCtx bool, call string)
	// Called is any other callback's call.
	Called(callback string, ctx uintptr, hasCtx bool)
	// Fault is a panic in the host while it served a call.
	Fault(ctx uintptr, what any)
}

// Host is a described ABI's host in this process.
type Host struct {
	d      *abi.Description
	layout *abi.Layout
	// handler and version are read by callbacks, which a plugin's thread
	// left running by an earlier plugin can call at any time, while New
	// and Start set them: atomics, not fields under mu (a callback made
	// during Start runs under it).
	handler atomic.Pointer[handlerRef]
	version atomic.Uint64 // the version of the last Start, encoded as the exchange carries it

	mu    sync.Mutex // serialises Start: the table's version member is shared
	table []byte     // the callback table, in memory that never moves
	pin   runtime.Pinner
	fns   []uintptr // the callback of each member of the table (0: not one)
}

var (
	// made keeps the table of each description made in this process:
	// purego's callback slots are never freed, so each is made once.
	madeMu sync.Mutex
	made   = map[*abi.Description]*Host{}
)

// New returns the host of d in this process, whose callbacks h serves,
// making its callback table on first use.
func New(d *abi.Description, h Handler) (*Host, error) {
	madeMu.Lock()
	defer madeMu.Unlock()
	if host, ok := made[d]; ok {
		host.handler.Store(&handlerRef{h})
		return host, nil
	}
	t := abi.Target{OS: runtime.GOOS, Arch: runtime.GOARCH}
	l, err := d.Layout(t)
	if err != nil {
		return nil, err
	}
	host := &Host{d: d, layout: l}
	host.handler.Store(&handlerRef{h})
	host.version.Store(d.Exchange.Encode(d.Newest()))
	if err := host.makeTable(); err != nil {
		return nil, err
	}
	made[d] = host
	return host, nil
}

// Layout is the ABI laid out for this system.
func (h *Host) Layout() *abi.Layout { return h.layout }

// Description is the ABI the host speaks.
func (h *Host) Description() *abi.Description { return h.d }

// handlerRef holds a Handler for an atomic pointer.
type handlerRef struct{ Handler }

// encoded is the host's version as the exchange carries it in an integer.
func (h *Host) encoded() uint64 { return h.version.Load() }

// makeTable makes the callback table, in memory that never moves, and a
// C-callable function for each callback member.
func (h *Host) makeTable() error {
	if h.d.Table == nil {
		return nil
	}
	l := h.layout
	h.table = make([]byte, max(l.TableSize, 1))
	h.pin.Pin(&h.table[0])
	h.fns = make([]uintptr, len(l.Members))
	for i, m := range l.Members {
		if m.Does == "" {
			continue
		}
		fn, err := h.callback(m)
		if err != nil {
			return fmt.Errorf("callback %s: %w", m.Name, err)
		}
		h.fns[i] = fn
	}
	return nil
}

// fill makes the table the one a host of version v passes: the members
// that version has (all of them unless the description's table.members
// says fewer) hold their callbacks, the table's size and its version; the
// members of later versions are zero, as in a host that does not know
// them.
func (h *Host) fill(v abi.Version) {
	if h.d.Table == nil {
		return
	}
	l := h.layout
	n, size := len(l.Members), l.TableSize
	if c, ok := h.d.Table.Members[v]; ok && c < n {
		n, size = c, l.Members[c].Offset
	}
	for i, m := range l.Members {
		var x uint64
		switch {
		case i >= n:
		case m.Name == h.d.Table.Size:
			x = uint64(size)
		case m.Name == h.d.Table.Version:
			x = h.encoded()
		default:
			x = uint64(h.fns[i])
		}
		h.put(m, x)
	}
}

// put writes v into the table's member m, in this system's byte order.
func (h *Host) put(m abi.Member, v uint64) {
	b := h.table[m.Offset : m.Offset+m.Size]
	switch m.Size {
	case 1:
		b[0] = byte(v)
	case 2:
		binary.NativeEndian.PutUint16(b, uint16(v))
	case 4:
		binary.NativeEndian.PutUint32(b, uint32(v))
	case 8:
		binary.NativeEndian.PutUint64(b, v)
	}
}

// callback makes member m's function.
func (h *Host) callback(m abi.Member) (uintptr, error) {
	cb := h.d.Table.Callbacks[m.Name]
	params := make([]loader.Param, len(m.Params))
	for i, p := range m.Params {
		params[i] = loader.Param{Size: int(p.Size), Float: p.Float}
	}
	index := func(name string) int {
		for i, p := range m.Params {
			if p.Name == name || fmt.Sprint(i) == name {
				return i
			}
		}
		return -1
	}
	ctx, msg, length := index(cb.Context), index(cb.Message), index(cb.Length)
	hasCtx := ctx >= 0
	return loader.MakeCallback(params, func(c loader.Call) (r uint64) {
		handler := h.handler.Load().Handler
		var context uintptr
		if hasCtx {
			context = uintptr(c.Args[ctx])
		}
		defer func() {
			if p := recover(); p != nil {
				handler.Fault(context, p)
				r = uint64(cb.Value)
			}
		}()
		switch cb.Does {
		case abi.DoesVersion:
			if v, ok := handler.Version(m.Name, context, hasCtx); ok {
				return v
			}
			return h.encoded()
		case abi.DoesLog:
			switch {
			case msg < 0:
				handler.Log(m.Name, context, hasCtx, 0, 0)
			case length >= 0:
				handler.Log(m.Name, context, hasCtx, uintptr(c.Args[msg]), c.Args[length])
			default:
				handler.LogString(m.Name, context, hasCtx, uintptr(c.Args[msg]))
			}
		case abi.DoesRecord:
			handler.Record(m.Name, context, hasCtx, callText(m, c.Args, ctx))
		default:
			handler.Called(m.Name, context, hasCtx)
		}
		return uint64(cb.Value)
	})
}

// callText writes a call of member m with args as C would: pointers in
// hex, integers by their signedness, floating-point numbers as %g does;
// the context (argument ctx, -1 for none), checked apart, as "ctx".
func callText(m abi.Member, args []uint64, ctx int) string {
	parts := make([]string, len(args))
	for i, a := range args {
		p := m.Params[i]
		switch {
		case i == ctx:
			parts[i] = "ctx"
		case p.Float:
			parts[i] = strconv.FormatFloat(math.Float64frombits(a), 'g', -1, 64)
		case p.Pointer && a == 0:
			parts[i] = "NULL"
		case p.Pointer:
			parts[i] = "0x" + strconv.FormatUint(a, 16)
		case p.Signed:
			parts[i] = strconv.FormatInt(signExtend(a, p.Size), 10)
		default:
			parts[i] = strconv.FormatUint(a, 10)
		}
	}
	return m.Name + "(" + strings.Join(parts, ", ") + ")"
}

// signExtend reads the low size bytes of a as a signed integer.
func signExtend(a uint64, size int64) int64 {
	shift := 64 - 8*uint(min(max(size, 1), 8))
	return int64(a<<shift) >> shift
}

// Refused is a plugin whose version the host does not accept: it was not
// started.
type Refused struct {
	Plugin, Host abi.Version
	From         string // where the plugin's version came from
	Rule         abi.Rule
}

func (e *Refused) Error() string {
	return fmt.Sprintf("built for version %s (%s); the host speaks %s, and the rule is %s", e.Plugin, e.From, e.Host, e.Rule)
}

// ErrNoEntry is a plugin without the entry point (or descriptor) the
// description names.
var ErrNoEntry = errors.New("no entry point")

// ErrNullEntry is an entry point that is a descriptor's member which the
// plugin left NULL; it is an ErrNoEntry too.
var ErrNullEntry = errors.New("NULL")

// Start agrees on a version with the plugin in lib, loaded from path, as a
// host of version host, and, if the host accepts it, calls its entry point
// with ctx: it reports whether the plugin started, by the description's
// success rule. Starts are one at a time: the callback table is shared.
func (h *Host) Start(lib *loader.Library, path string, ctx uintptr, host abi.Version) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.version.Store(h.d.Exchange.Encode(host))
	h.fill(host)
	d, l := h.d, h.layout
	entryName := d.Entry.SymbolFor(host)
	sym, err := lib.Symbol(entryName)
	if err != nil {
		return false, fmt.Errorf("%s: %w", entryName, ErrNoEntry)
	}
	switch d.Exchange.Kind {
	case abi.KindHandshake:
		f, err := lib.Symbol(d.Exchange.Symbol)
		if err != nil {
			return false, fmt.Errorf("%s: %w", d.Exchange.Symbol, ErrNoEntry)
		}
		v := d.Exchange.Decode(uint64(loader.CallEntry(f)) & 0xffffffff)
		if !d.Exchange.Rule.Accepts(v, host) {
			return false, &Refused{v, host, d.Exchange.Symbol + "() returned it", d.Exchange.Rule}
		}
	case abi.KindDescriptor:
		obj, err := lib.Symbol(d.Exchange.Symbol)
		if err != nil {
			return false, fmt.Errorf("%s: %w", d.Exchange.Symbol, ErrNoEntry)
		}
		v, from := d.DescriptorVersion(l, loader.Bytes(obj, int(l.DescriptorSize)), binary.NativeEndian)
		if !d.Exchange.Rule.Accepts(v, host) {
			return false, &Refused{v, host, from, d.Exchange.Rule}
		}
	}
	fn := sym
	if d.Entry.Field != "" {
		fn = loader.Pointer(sym + uintptr(l.EntryOffset))
		if fn == 0 {
			return false, fmt.Errorf("%s.%s is %w: %w", d.Entry.Declaration, d.Entry.Field, ErrNullEntry, ErrNoEntry)
		}
	}
	args := make([]uintptr, len(d.Entry.Args))
	for i, a := range d.Entry.Args {
		switch a {
		case abi.ArgContext:
			args[i] = ctx
		case abi.ArgTable:
			args[i] = uintptr(unsafe.Pointer(&h.table[0]))
		case abi.ArgVersion:
			args[i] = uintptr(h.encoded())
		case abi.ArgPath:
			cpath := append([]byte(path), 0)
			defer runtime.KeepAlive(cpath)
			args[i] = uintptr(unsafe.Pointer(&cpath[0]))
		}
	}
	r := uint64(loader.CallEntry(fn, args...))
	runtime.KeepAlive(h)
	return succeeded(l.Success, l.ResultSize, r), nil
}

// succeeded reads an entry point's result register as the description
// says: only its low size bytes are the result.
func succeeded(s abi.Success, size int64, r uint64) bool {
	if size > 0 && size < 8 {
		r &= 1<<(8*size) - 1
	}
	switch s {
	case abi.Nonzero:
		return r != 0
	case abi.Zero:
		return r == 0
	case abi.NonNull:
		return r != 0
	}
	return true
}
