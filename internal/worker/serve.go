package worker

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"sync"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/launch"
	"github.com/plugctl/plugctl/internal/loader"
)

// Serve is the worker's main: args are the arguments after Arg. It returns
// 1 when the worker could not run; otherwise the worker ends, with everything
// its plugins started (endGroup), when its parent closes the request channel
// or dies, even while a plugin runs (endWithParent).
func Serve(args []string) int {
	cfg, err := parseArgs(args)
	if err != nil {
		os.Stderr.WriteString("plugctl worker: " + err.Error() + "\n")
		return 1
	}
	reqs, evs := channel(cfg.requests, "requests"), channel(cfg.events, "events")
	if reqs == nil || evs == nil {
		os.Stderr.WriteString("plugctl worker: started without its channels; this mode is for plugctl's own use\n")
		return 1
	}
	keepFromChildren(reqs, evs)
	if err := limitSelf(cfg.maxMemory); err != nil {
		os.Stderr.WriteString("plugctl worker: setting limits: " + err.Error() + "\n")
		return 1
	}
	if err := loader.DieOnFaults(); err != nil {
		os.Stderr.WriteString("plugctl worker: " + err.Error() + "\n")
		return 1
	}
	s := &server{events: evs, marker: []byte(marker(cfg.token)), ids: map[*hostapi.Plugin]uint64{}, hosts: map[uint32]*hostapi.Host{}}
	endWithParent(reqs)
	dec := json.NewDecoder(bufio.NewReader(reqs))
	for {
		var r request
		if err := dec.Decode(&r); err != nil {
			endGroup()
		}
		s.run(r)
	}
}

type config struct {
	token            string
	maxMemory        uint64
	requests, events string // the channels' file descriptors (handles on Windows)
}

// parseArgs reads the worker's arguments: the output marker token, the
// address-space limit in bytes (0 for none), and its channels.
func parseArgs(args []string) (config, error) {
	if len(args) != 4 || len(args[0]) < 16 {
		return config{}, errors.New("usage: plugctl " + Arg + " TOKEN MAX_MEMORY REQUESTS EVENTS (for plugctl's own use)")
	}
	n, err := strconv.ParseUint(args[1], 10, 64)
	if err != nil {
		return config{}, err
	}
	return config{token: args[0], maxMemory: n, requests: args[2], events: args[3]}, nil
}

// channel opens the inherited file descriptor (or handle) named by s, or
// returns nil.
func channel(s, name string) *os.File {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n < 3 {
		return nil
	}
	return os.NewFile(uintptr(n), name)
}

// marker is written to fd 1 and fd 2 after each plugin, so the parent can
// tell where one plugin's output ends and the next one's begins.
func marker(token string) string { return "\x00plugctl-end-of-output-" + token + "\x00" }

type server struct {
	mu      sync.Mutex // serialises writes to events; guards ids and current
	events  *os.File
	marker  []byte
	ids     map[*hostapi.Plugin]uint64
	current uint64
	hosts   map[uint32]*hostapi.Host
}

func (s *server) send(e event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.events.Write(b); err != nil {
		// The parent is gone: nobody is left to report to.
		os.Exit(1)
	}
}

func (s *server) host(version uint32, afterInit bool) *hostapi.Host {
	h := s.hosts[version]
	if h == nil {
		h = hostapi.NewHost(version, s)
		h.KeepLogs = 0 // the parent keeps them
		s.hosts[version] = h
	}
	h.WarnAfterInit = afterInit
	return h
}

// id returns the request p belongs to: the one it was attached in, or the
// running one for a callback no plugin could be found for.
func (s *server) id(p *hostapi.Plugin) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ids[p]; ok && p != nil {
		return id
	}
	return s.current
}

// Log and Warn make the server the Sink of its hosts.
func (s *server) Log(p *hostapi.Plugin, msg string) {
	s.send(event{Ev: evLog, ID: s.id(p), Text: msg})
}

func (s *server) Warn(p *hostapi.Plugin, w hostapi.Warning) {
	s.send(event{Ev: evWarn, ID: s.id(p), Kind: w.Kind.String(), Text: w.Detail})
}

func (s *server) run(r request) {
	s.mu.Lock()
	s.current = r.ID
	s.mu.Unlock()
	setCPULimit(r.CPULimit)
	name := ""
	obs := launch.Observer{
		// The init phase carries the plugin's name, for a parent that
		// shows log lines as they come.
		Phase: func(ph launch.Phase) { s.send(event{Ev: evPhase, ID: r.ID, Phase: string(ph), Text: name}) },
		Attached: func(p *hostapi.Plugin) {
			s.mu.Lock()
			s.ids[p] = r.ID
			s.mu.Unlock()
			name = p.Name()
		},
	}
	p, err := launch.StartChecked(s.host(r.HostAPI, r.AfterInit), r.Path, r.Checked, obs)

	res := &Result{OK: err == nil, Name: launch.Name(r.Path)}
	if p != nil {
		res.Name, res.Manifest = p.Name(), p.Manifest
	}
	if err != nil {
		res.Error = &Failure{Kind: "error", Detail: err.Error()}
		var le *launch.Error
		if errors.As(err, &le) {
			res.Error = &Failure{Kind: string(le.Kind), Detail: le.Detail, Hint: le.Hint}
		}
	}
	// What the plugin printed through stdio must reach the pipes before the
	// marker that ends its output.
	loader.FlushOutput()
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if _, err := f.Write(s.marker); err != nil {
			res.Unmarked = true
		}
	}
	s.send(event{Ev: evResult, ID: r.ID, Result: res})
}
