// Package advice is the hints plugctl gives for what it finds, in one place:
// inspect's findings and the loader's diagnostics say the same thing about
// the same problem.
package advice

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/plugctl/plugctl/internal/hostapi"
	"github.com/plugctl/plugctl/internal/inspect"
)

// What to do about a file that cannot be read or is not a library.
const (
	NotFound   = "check the path; plugctl reads exactly the file named, it does not search"
	Permission = "plugctl needs read access to the file and search access to its directories"
	Corrupt    = "the file may be truncated or corrupted; rebuild it"
	Damaged    = "a debug-info file (objcopy --only-keep-debug) is for debuggers, never for loading: load the library it was split from; otherwise the file is truncated or corrupted, so rebuild it"
	NotShared  = "build the plugin as a shared library: gcc -shared -fPIC, or crate-type = [\"cdylib\"] in Cargo.toml"
	RustStd    = "build the plugin as a cdylib (crate-type = [\"cdylib\"]) without -C prefer-dynamic, so that it carries its own standard library, and do not build the host as a dylib"
	HostCode   = "put the types the host and its plugins share in a small API crate that both depend on, and build the plugin as crate-type = [\"cdylib\"], which exports only its #[no_mangle] functions"
)

// Platform says how to build for this host.
func Platform() string {
	return "build the plugin for this host's target, e.g. cargo build --target " + rustTarget()
}

// rustTarget returns the Rust target triple of this host.
func rustTarget() string {
	arch := inspect.HostArch()
	switch runtime.GOOS {
	case "windows":
		return arch + "-pc-windows-msvc"
	case "darwin":
		return arch + "-apple-darwin"
	}
	return arch + "-unknown-linux-gnu"
}

// Entry explains a missing entry point (init_plugin in plugctl's own ABI,
// hostapi.EntryPrototype), given the mangled symbol found in its place (""
// for none), whether rustc built the file, and what to export: the entry
// point's C prototype.
func Entry(mangled string, rust bool, entry, prototype string) string {
	switch {
	case mangled != "" && inspect.Mangling(mangled) == "C++":
		return "declare " + entry + " extern \"C\" so that its name is not mangled"
	case mangled != "" && entry == hostapi.EntrySymbol:
		return "add #[unsafe(no_mangle)] to init_plugin (or use the SDK's export_plugin! macro)"
	case mangled != "":
		return "add #[unsafe(no_mangle)] to " + entry
	case rust:
		return "this is a Rust library: declare #[unsafe(no_mangle)] pub extern \"C\" fn " + entry + ", and build it with crate-type = [\"cdylib\"]"
	}
	return "export " + prototype + " with C linkage and default visibility"
}

// Manifest says how to fix a manifest CheckManifest or DecodeManifest
// refused for a host speaking API version host.
func Manifest(err error, host uint32) string {
	switch {
	case errors.Is(err, hostapi.ErrAPIVersion):
		return fmt.Sprintf("the host speaks API version %d; use a host that speaks the plugin's version, or rebuild the plugin against API version %d", host, host)
	case errors.Is(err, hostapi.ErrTableSize):
		return "the plugin's HostFunctions declaration does not match the ABI: use sdk/c/plugctl.h or the plugctl-plugin crate, or fix the struct"
	}
	return "plugin_manifest is reserved for the plugctl manifest; declare it with PLUGIN_MANIFEST(...) or export_plugin!, or rename the symbol"
}

// Missing says how to make a missing library lib found by the loader
// of format's platform.
func Missing(lib string, format inspect.Format) string {
	if inspect.IsRustStd(filepath.Base(lib)) {
		return RustStd
	}
	switch format {
	case inspect.MachO:
		return "install " + lib + " or give the plugin an LC_RPATH where it lives (e.g. -Wl,-rpath,@loader_path)"
	case inspect.PE:
		return "put " + lib + " next to the plugin: plugctl, like a careful host, looks for a plugin's DLLs beside it, beside the host and in System32, never in the current directory or on PATH"
	}
	return "install " + lib + ", set LD_LIBRARY_PATH, or link the plugin with -Wl,-rpath,'$ORIGIN' and ship the library beside it"
}

// Undefined says how to fix a plugin that needs the symbol name from
// its host.
func Undefined(name string) string {
	return "plugins reach the host only through the HostFunctions table; link whatever defines " + name + " into the plugin"
}
