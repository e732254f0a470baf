// Package hostapi is the plugin ABI as the host sees it: the API version, the
// layout of the HostFunctions table and of the static manifest, the rules that
// decide whether a plugin built for one version may run on this host, and the
// host's side of the callbacks (handles that route ctx to per-plugin state,
// and a log callback that trusts nothing it is given).
//
// docs/abi.md is the contract; this package and sdk/ implement it. The package
// does not load libraries or create C-callable functions: package synth makes
// the callbacks of any ABI, plugctl's own included, from its description, and
// forwards each call to Callbacks here.
package hostapi

// Version is the plugin API version this host speaks.
const Version uint32 = 1

// Symbol names a plugin exports, unmangled.
const (
	EntrySymbol    = "init_plugin"     // bool init_plugin(void *ctx, const HostFunctions *functions)
	ManifestSymbol = "plugin_manifest" // const PluginManifest plugin_manifest (optional)
)

// EntryPrototype is the entry point's declaration, as plugin authors write it.
const EntryPrototype = "bool init_plugin(void *ctx, const HostFunctions *functions)"

// tableFields is the number of function pointers in HostFunctions for each API
// version, index = version. The table only grows by appending, so version N's
// table starts with version N-1's.
var tableFields = [...]int{0, 2}

// TableSize returns sizeof(HostFunctions) for API version v on a target whose
// pointers are ptrSize bytes, or 0 when v is not a version this host knows.
func TableSize(v uint32, ptrSize int) uint32 {
	if v == 0 || v >= uint32(len(tableFields)) {
		return 0
	}
	return uint32(tableFields[v] * ptrSize)
}

// Supports reports whether a host speaking version host can run a plugin built
// for version plugin. Because the table is append-only, a host serves every
// plugin built for its own version or an earlier one.
func Supports(host, plugin uint32) bool {
	return plugin >= 1 && plugin <= host
}
