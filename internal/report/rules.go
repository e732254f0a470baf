package report

// A Rule is one kind of result plugctl reports, as a catalogue entry: what
// code-scanning dashboards show beside each result (SARIF's rules). Every
// finding ID, verdict other than pass, and file status other than plugin
// has one.
type Rule struct {
	ID    string
	Level Severity // the level its results have unless they say otherwise
	// Summary says in one line what the rule reports; Help what to do
	// about it.
	Summary, Help string
}

// Note is the level of a result that is information, not a problem: a
// library that is not a plugin.
const Note Severity = "note"

// Rules is the catalogue, in docs/cli.md's order: verdicts, file
// statuses, then the finding IDs.
var Rules = []Rule{
	{string(Fail), Error, "the plugin failed a check: it does not load or start, or it broke its host's state",
		"the result names the check (preflight, policy, load, init, settle, strict) and why; plugctl load PLUGIN shows the plugin start"},
	{string(Crash), Error, "the plugin crashed the process that loaded it",
		"run plugctl load --in-process PLUGIN under a debugger to see where; a host that loads this plugin dies with it"},
	{string(Timeout), Error, "the plugin was still loading or in init_plugin when the time was up",
		"init_plugin must return promptly: do slow work on a thread of the plugin's own, or raise --timeout if the plugin is only slow"},

	{string(Invalid), Error, "not a usable library: unreadable, malformed, an executable or a broken manifest",
		"build plugins as shared libraries: gcc -shared -fPIC, or crate-type = [\"cdylib\"]"},
	{string(Incompatible), Error, "a plugin this host cannot load: another platform, an API version it does not speak, a dependency that is missing",
		"plugctl inspect FILE says which, with a hint"},
	{string(NotPlugin), Note, "a library without an init_plugin export",
		"nothing to do if it is a helper library; a plugin must export init_plugin unmangled"},

	{string(Unreadable), Error, "the file does not exist, cannot be read, or is a directory", "check the path and its permissions"},
	{string(NotALibrary), Error, "no ELF, PE or Mach-O header, a malformed one, or an executable or object file",
		"build plugins as shared libraries: gcc -shared -fPIC, or crate-type = [\"cdylib\"]"},
	{string(WrongPlatform), Error, "built for another format, OS, architecture or bitness than this host",
		"build the plugin for the host's target"},
	{string(MalformedTable), Error, "the headers are sound but a linking table they point to is not in the file",
		"a debug-info file (objcopy --only-keep-debug) is the usual cause: check the file that ships is the stripped library"},
	{string(NoEntryPoint), Error, "no init_plugin export", "export bool init_plugin(void *ctx, const HostFunctions *functions), unmangled"},
	{string(MangledEntryPoint), Error, "init_plugin is exported only under a Rust- or C++-mangled name",
		"add #[unsafe(no_mangle)] (Rust) or extern \"C\" (C++) to init_plugin"},
	{string(ManifestInvalid), Error, "plugin_manifest has a bad magic, an unknown layout, is too short, or lies outside the file",
		"declare the manifest with the SDK's macro (PLUGIN_MANIFEST in plugctl.h, export_plugin! in the Rust crate)"},
	{string(ManifestAPIVersion), Error, "the manifest asks for an API version this host does not speak",
		"build the plugin against the API version the host speaks"},
	{string(ABIVersion), Error, "built for a version of a described ABI (--abi) that the host's version does not accept, or its version cannot be read",
		"build the plugin against the version the host speaks"},
	{string(ManifestTableSize), Error, "the manifest's HostFunctions size is not that of its API version",
		"build against the SDK of the API version the manifest names"},
	{string(RustStdDylib), Error, "it needs Rust's dynamic standard library (libstd-<hash>.so), which hosts do not ship",
		"build the plugin as a cdylib without -C prefer-dynamic"},
	{string(MissingDependency), Error, "a library it needs, directly or through another, is not found",
		"ship the library beside the plugin with an $ORIGIN rpath (on Windows, beside the DLL), or install it"},
	{string(MissingSymbolVersion), Error, "a library it needs lacks a symbol version it requires (such as GLIBC_2.38)",
		"build on (or for) the oldest system the plugin must run on"},
	{string(UnresolvedSymbol), Error, "a symbol it needs is defined by no library it loads: it expects the host to export it",
		"call the host only through the HostFunctions table"},
	{string(HostCodeLinked), Warning, "it exports Rust symbols of other crates: it probably links the host's code",
		"depend on the SDK crate only, not on the host's crate"},
	{string(Writable), Warning, "the file or its directory is writable by others, who could replace the code that is loaded",
		"chmod go-w the file and its directory"},

	{string(NullMessage), Warning, "log was called with a NULL message and a non-zero length", "pass a valid pointer, or a length of 0"},
	{string(MessageTruncated), Warning, "log was called with a message longer than the host keeps", "log shorter messages"},
	{string(InvalidUTF8), Warning, "a log message is not UTF-8", "log UTF-8 text"},
	{string(ControlCharacters), Warning, "a log message has control characters or terminal escapes", "log plain text: the host neutralises them"},
	{string(UnknownContext), Warning, "a callback was passed a ctx the host never gave out", "pass the ctx init_plugin received, unchanged"},
	{string(CallbackFault), Warning, "a callback failed inside the host: a bug in plugctl", "report it to plugctl's authors"},
	{string(AfterInit), Warning, "a callback was called after init_plugin returned", "call the host's functions only while init_plugin runs"},

	{string(WorkingDirectory), Warning, "it changed the working directory the host shares", "do not chdir in a plugin: use absolute paths"},
	{string(Umask), Warning, "it changed the process's umask", "do not call umask in a plugin"},
	{string(SignalHandler), Warning, "it changed a signal's disposition", "leave signal handling to the host"},
	{string(SignalMask), Warning, "it changed the signal mask of the host's thread that called init_plugin", "restore the mask before init_plugin returns"},
	{string(DescriptorClosed), Error, "it closed a descriptor the host had open", "close only the descriptors the plugin opened"},
	{string(DescriptorReplaced), Error, "it put something else on a descriptor the host had open", "redirect only the descriptors the plugin opened"},
	{string(DescriptorLeftOpen), Warning, "it left a descriptor open", "close what the plugin opens, or open it close-on-exec"},
	{string(Environment), Warning, "it changed the process's environment", "do not setenv in a plugin: pass settings explicitly"},
	{string(Locale), Warning, "it changed the process's locale", "use a locale object (newlocale/uselocale), not setlocale"},
	{string(ResourceLimit), Warning, "it changed a resource limit of the process", "do not call setrlimit in a plugin"},
	{string(Timer), Warning, "it left an interval or POSIX timer armed", "disarm the plugin's timers before init_plugin returns"},
	{string(LeftProcess), Warning, "a process it started outlived its settle period", "wait for the processes the plugin starts, or hand them to the host"},
	{string(WorkerDied), Warning, "the worker it first ran in died; run alone it settled", "run plugctl verify --isolation fresh to see whether the death follows this plugin"},
}
