package report

// Kind classifies why a plugin did not start: error.kind in load's JSON.
type Kind string

const (
	KindNotFound          Kind = "not-found"          // no such file
	KindUnreadable        Kind = "unreadable"         // the file exists but cannot be read
	KindNotLibrary        Kind = "not-a-library"      // not a shared library at all
	KindIncompatible      Kind = "incompatible"       // another OS, architecture or bitness
	KindMissingDependency Kind = "missing-dependency" // a library it needs was not found
	KindUnresolvedSymbol  Kind = "unresolved-symbol"  // a symbol it needs is defined nowhere
	KindLoadFailed        Kind = "load-failed"        // the loader refused it for another reason
	KindManifestRefused   Kind = "manifest-refused"   // plugin_manifest is malformed or unsupported
	KindNoEntry           Kind = "no-entry-point"     // no init_plugin export
	KindInitFailed        Kind = "init-failed"        // init_plugin returned false

	// What a worker process running the plugin finds (plugctl load and
	// verify run plugins in one).
	KindCrash         Kind = "crash"          // a signal or exception ended the process
	KindTimeout       Kind = "timeout"        // still loading or in init_plugin when the time was up
	KindExited        Kind = "exited"         // the plugin ended the process itself
	KindInterrupted   Kind = "interrupted"    // plugctl got SIGINT or SIGTERM meanwhile
	KindNotRun        Kind = "not-run"        // plugctl could not start a worker for it
	KindChannelLost   Kind = "channel-lost"   // it closed or replaced the worker's channel
	KindChannelForged Kind = "channel-forged" // it wrote to the worker's channel
	// A change it made to the host's descriptors has the change's id as
	// its kind: DescriptorClosed, DescriptorReplaced.
)

// Phase is the step of a plugin's start that is running its code: the two
// of Start, and the one after it. "" is none of them: before loading, or
// done.
type Phase string

const (
	PhaseLoad   Phase = "load"   // the loader is running the library's constructors
	PhaseInit   Phase = "init"   // init_plugin is running
	PhaseSettle Phase = "settle" // init_plugin returned; what the plugin left may still run
)

// Verdict is verify's status for a plugin.
type Verdict string

const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Crash   Verdict = "crash"
	Timeout Verdict = "timeout"
)

// Check names one of verify's checks, in the order they run: the one a
// plugin failed.
type Check string

const (
	CheckPreflight Check = "preflight" // what the file says: format, platform, dependencies, manifest, entry point
	CheckPolicy    Check = "policy"    // --require-manifest, --max-glibc
	CheckLoad      Check = "load"      // the platform loader and the library's constructors
	CheckInit      Check = "init"      // init_plugin
	CheckSettle    Check = "settle"    // what the plugin left running after init_plugin returned
	CheckStrict    Check = "strict"    // warnings, under --strict
)

// FileStatus sums up whether a file is a plugin this host can load: what
// inspect and list say.
type FileStatus string

const (
	Plugin       FileStatus = "plugin"       // a library with an entry point that should load here
	NotPlugin    FileStatus = "not-plugin"   // a valid library without an init_plugin export
	Incompatible FileStatus = "incompatible" // a plugin this host cannot load: platform, API version, dependencies
	Invalid      FileStatus = "invalid"      // not a usable library at all: unreadable, malformed, an executable, a broken manifest
)

// LoadStatus is a plugin's status in load's JSON.
type LoadStatus string

const (
	Loaded    LoadStatus = "loaded"
	NotLoaded LoadStatus = "failed"
)
