// Package report is the vocabulary of plugctl's verdicts, in one place: the
// values of the JSON fields that say how a plugin fared (verify's verdict
// and the check it failed, why a plugin did not start and the phase it was
// in, a file's status, load's status), the finding (what plugctl reports
// about a plugin beside its verdict) with its ids, and what a plugin wrote
// to its standard streams. docs/cli.md documents them and docs/schema holds
// their JSON Schemas. What a file holds (format, kind, symbols,
// dependencies) is described in inspect's and deps' terms.
package report

import "github.com/plugctl/plugctl/internal/sanitize"

// Severity is how much a finding matters.
type Severity string

const (
	Error   Severity = "error"   // the plugin will not load or start here
	Warning Severity = "warning" // it loads, but something is wrong or unsafe
)

// A Finding is one thing plugctl found: a stable ID (docs/cli.md lists
// them), its severity, what the evidence shows, and what to do about it
// (empty when there is nothing to add). Message and Hint quote names read
// from files and text plugins sent, so they are Lines: sanitized once, by
// whoever makes the Finding.
type Finding struct {
	ID       ID            `json:"id"`
	Severity Severity      `json:"severity"`
	Message  sanitize.Line `json:"message"`
	Hint     sanitize.Line `json:"hint"`
}

// NewWarning is a warning with no hint: what a plugin did at run time.
func NewWarning(id ID, message sanitize.Line) Finding {
	return Finding{ID: id, Severity: Warning, Message: message}
}

// Line is the finding as text output shows it: "ID: message".
func (f Finding) Line() sanitize.Line { return sanitize.Line(f.ID) + ": " + f.Message }

// String is Line as a string, so that fmt prints a Finding that way.
func (f Finding) String() string { return string(f.Line()) }

// ID names a kind of finding. IDs are stable (scripts match them) and
// docs/cli.md lists them.
type ID string

// What inspect finds in a file.
const (
	Unreadable           ID = "unreadable"
	NotALibrary          ID = "not-a-library"
	WrongPlatform        ID = "wrong-platform"
	MalformedTable       ID = "malformed-table"
	NoEntryPoint         ID = "no-entry-point"
	MangledEntryPoint    ID = "mangled-entry-point"
	ManifestInvalid      ID = "manifest-invalid"
	ManifestAPIVersion   ID = "manifest-api-version"
	ManifestTableSize    ID = "manifest-table-size"
	ABIVersion           ID = "abi-version"
	RustStdDylib         ID = "rust-std-dylib"
	MissingDependency    ID = "missing-dependency"
	MissingSymbolVersion ID = "missing-symbol-version"
	UnresolvedSymbol     ID = "unresolved-symbol"
	HostCodeLinked       ID = "host-code-linked"
	Writable             ID = "writable"
)

// How a plugin misused the host's callbacks (hostapi.WarningKind).
const (
	NullMessage       ID = "null-message"       // log with a NULL message and a non-zero length
	MessageTruncated  ID = "message-truncated"  // log with a length over the limit
	InvalidUTF8       ID = "invalid-utf8"       // a log message that is not UTF-8
	ControlCharacters ID = "control-characters" // a log message with control characters or escapes
	UnknownContext    ID = "unknown-context"    // a callback with a ctx the host never gave out
	CallbackFault     ID = "callback-fault"     // a callback failed inside the host (a bug in plugctl)
	AfterInit         ID = "after-init"         // a callback after init_plugin returned
)

// What a plugin changed in the state it shares with its host (procstate).
const (
	WorkingDirectory   ID = "working-directory"
	Umask              ID = "umask"
	SignalHandler      ID = "signal-handler"
	SignalMask         ID = "signal-mask"
	DescriptorClosed   ID = "descriptor-closed"
	DescriptorReplaced ID = "descriptor-replaced"
	DescriptorLeftOpen ID = "descriptor-left-open"
	Environment        ID = "environment"
	Locale             ID = "locale"
	ResourceLimit      ID = "resource-limit"
	Timer              ID = "timer"
)

// What verify finds when a plugin runs, besides callbacks and state.
const (
	LeftProcess ID = "left-process" // a process it started outlived its settle period
	WorkerDied  ID = "worker-died"  // the worker it first ran in died; alone it settled
)
