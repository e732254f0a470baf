//! Write plugins for hosts that speak the plugctl plugin ABI, version 1,
//! without writing `unsafe` code.
//!
//! A plugin is a `cdylib` that exports `init_plugin` (and, optionally, a
//! static manifest). [`export_plugin!`] writes both; the function you give it
//! receives a [`Host`], a safe proxy over the host's callback table:
//!
//! ```ignore
//! use plugctl_plugin::{export_plugin, Host, HostApi};
//!
//! fn start(host: Host) -> Result<(), String> {
//!     host.log("hello from Rust");
//!     Ok(())
//! }
//!
//! export_plugin!(name: "hello", version: env!("CARGO_PKG_VERSION"), init: start);
//! ```
//!
//! with, in Cargo.toml:
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//! ```
//!
//! The contract is docs/abi.md in the plugctl repository. What this crate
//! does for you: it checks the host's API version before calling your
//! function, it never lets a panic unwind into the host (a panic or an `Err`
//! is logged and `init_plugin` returns false), and it declares the manifest
//! with the right layout. [`raw`] has the C types for anyone who wants to
//! write the ABI by hand.

use std::ffi::c_void;
use std::fmt::Display;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The plugin API version this crate implements.
pub const API_VERSION: u32 = 1;

/// The ABI's C types, exactly as in `plugctl.h`.
pub mod raw {
    use std::ffi::c_void;

    /// The host's callbacks. Later API versions only append fields.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct HostFunctions {
        /// Returns the API version the host speaks.
        pub get_version: extern "C" fn(ctx: *mut c_void) -> u32,
        /// Logs `message_len` bytes of UTF-8 at `message`; not NUL-terminated.
        pub log: extern "C" fn(ctx: *mut c_void, message: *const u8, message_len: usize),
    }

    /// The signature of `init_plugin`.
    pub type InitPlugin = extern "C" fn(ctx: *mut c_void, functions: *const HostFunctions) -> bool;

    /// First bytes of every manifest.
    pub const MANIFEST_MAGIC: [u8; 8] = *b"PLUGCTLM";
    /// The manifest layout this crate writes.
    pub const MANIFEST_LAYOUT: u32 = 1;

    /// The static manifest, exported as `plugin_manifest`. It holds no
    /// pointers, so a host can read it from the file without loading it.
    #[repr(C)]
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PluginManifest {
        pub magic: [u8; 8],
        pub layout_version: u32,
        pub api_version: u32,
        pub host_functions_size: u32,
        pub flags: u32,
        pub name: [u8; 64],
        pub version: [u8; 32],
    }

    impl PluginManifest {
        /// A manifest for a plugin called `name` at `version`, built for
        /// this crate's API version. Usable in a `static`; a name of 64
        /// bytes or more, or a version of 32 or more, fails the build.
        pub const fn new(name: &str, version: &str) -> Self {
            PluginManifest {
                magic: MANIFEST_MAGIC,
                layout_version: MANIFEST_LAYOUT,
                api_version: super::API_VERSION,
                host_functions_size: size_of::<HostFunctions>() as u32,
                flags: 0,
                name: padded(name),
                version: padded(version),
            }
        }
    }

    const fn padded<const N: usize>(s: &str) -> [u8; N] {
        let b = s.as_bytes();
        assert!(
            b.len() < N,
            "manifest string too long: name < 64 bytes, version < 32 bytes"
        );
        let mut out = [0u8; N];
        let mut i = 0;
        while i < b.len() {
            out[i] = b[i];
            i += 1;
        }
        out
    }
}

/// What a plugin can ask of its host. [`Host`] implements it over the real
/// callback table; implement it yourself to test plugin code without a host.
pub trait HostApi {
    /// The API version the host speaks.
    fn api_version(&self) -> u32;
    /// Logs one line. The host shows it with control characters escaped.
    fn log(&self, message: &str);
}

/// The host, as given to `init_plugin`: a copyable handle that is valid for
/// the life of the process and may be used from any thread, during and after
/// initialisation.
#[derive(Clone, Copy)]
pub struct Host {
    ctx: *mut c_void,
    functions: &'static raw::HostFunctions,
}

// SAFETY: the ABI lets every callback be called from any thread at any time
// after init_plugin starts, and ctx is an opaque value the host interprets.
unsafe impl Send for Host {}
unsafe impl Sync for Host {}

impl Host {
    /// Wraps the arguments of `init_plugin`. Returns `None` when `functions`
    /// is null.
    ///
    /// # Safety
    /// `functions` must be null or point to a `HostFunctions` that stays valid
    /// for the rest of the process, as the ABI promises for the table a host
    /// passes to `init_plugin`.
    pub unsafe fn from_raw(ctx: *mut c_void, functions: *const raw::HostFunctions) -> Option<Host> {
        // SAFETY: the caller promises a valid, process-lifetime table or null.
        unsafe { functions.as_ref() }.map(|functions| Host { ctx, functions })
    }

    /// The opaque context the host passed.
    pub fn ctx(&self) -> *mut c_void {
        self.ctx
    }
}

impl HostApi for Host {
    fn api_version(&self) -> u32 {
        (self.functions.get_version)(self.ctx)
    }

    fn log(&self, message: &str) {
        (self.functions.log)(self.ctx, message.as_ptr(), message.len())
    }
}

/// Exports `init_plugin` (and, with `name` and `version`, the manifest)
/// calling `init`, a function `fn(Host) -> Result<(), E>` with `E: Display`.
///
/// ```ignore
/// export_plugin!(name: "hello", version: "1.0.0", init: start);
/// export_plugin!(init: start); // no manifest
/// ```
#[macro_export]
macro_rules! export_plugin {
    (name: $name:expr, version: $version:expr, init: $init:expr $(,)?) => {
        /// The plugin's static manifest (plugctl ABI).
        #[unsafe(no_mangle)]
        #[allow(non_upper_case_globals)]
        pub static plugin_manifest: $crate::raw::PluginManifest =
            $crate::raw::PluginManifest::new($name, $version);

        $crate::export_plugin!(init: $init);
    };
    (init: $init:expr $(,)?) => {
        /// The plugin's entry point (plugctl ABI).
        #[unsafe(no_mangle)]
        pub extern "C" fn init_plugin(
            ctx: *mut ::core::ffi::c_void,
            functions: *const $crate::raw::HostFunctions,
        ) -> bool {
            $crate::__init_plugin(ctx, functions, $init)
        }
    };
}

/// The body of the `init_plugin` that [`export_plugin!`] writes; not for
/// direct use. `functions` must be what the host passed to `init_plugin`.
#[doc(hidden)]
pub fn __init_plugin<E: Display>(
    ctx: *mut c_void,
    functions: *const raw::HostFunctions,
    init: impl FnOnce(Host) -> Result<(), E>,
) -> bool {
    // SAFETY: the ABI promises the host's table lives as long as the process.
    let Some(host) = (unsafe { Host::from_raw(ctx, functions) }) else {
        return false;
    };
    let result = catch_unwind(AssertUnwindSafe(|| {
        let host_version = host.api_version();
        if host_version < API_VERSION {
            host.log(&format!(
                "this plugin needs plugin API version {API_VERSION}; the host speaks {host_version}"
            ));
            return false;
        }
        match init(host) {
            Ok(()) => true,
            Err(e) => {
                host.log(&format!("init failed: {e}"));
                false
            }
        }
    }));
    match result {
        Ok(ok) => ok,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with a non-string payload".to_string());
            // Logging could itself panic (out of memory); never let that
            // unwind into the host either.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                host.log(&format!("init panicked: {what}"))
            }));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::raw::{HostFunctions, PluginManifest};
    use super::*;
    use std::mem::offset_of;
    use std::sync::Mutex;

    static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());
    static HOST_VERSION: Mutex<u32> = Mutex::new(1);
    // Tests share LOGS and HOST_VERSION: run them one at a time.
    static SERIAL: Mutex<()> = Mutex::new(());

    extern "C" fn get_version(_ctx: *mut c_void) -> u32 {
        *HOST_VERSION.lock().unwrap()
    }
    extern "C" fn log(ctx: *mut c_void, message: *const u8, len: usize) {
        assert_eq!(ctx as usize, 0x1234, "ctx passed back unchanged");
        // SAFETY: Host::log passes a &str's pointer and length.
        let bytes = unsafe { std::slice::from_raw_parts(message, len) };
        LOGS.lock()
            .unwrap()
            .push(String::from_utf8(bytes.to_vec()).unwrap());
    }
    static TABLE: HostFunctions = HostFunctions { get_version, log };

    fn run(version: u32, init: impl FnOnce(Host) -> Result<(), String>) -> (bool, Vec<String>) {
        *HOST_VERSION.lock().unwrap() = version;
        LOGS.lock().unwrap().clear();
        let ok = __init_plugin(0x1234 as *mut c_void, &TABLE, init);
        (ok, LOGS.lock().unwrap().clone())
    }

    #[test]
    fn manifest_layout_matches_the_c_header() {
        assert_eq!(size_of::<PluginManifest>(), 120);
        assert_eq!(offset_of!(PluginManifest, layout_version), 8);
        assert_eq!(offset_of!(PluginManifest, api_version), 12);
        assert_eq!(offset_of!(PluginManifest, host_functions_size), 16);
        assert_eq!(offset_of!(PluginManifest, flags), 20);
        assert_eq!(offset_of!(PluginManifest, name), 24);
        assert_eq!(offset_of!(PluginManifest, version), 88);
        assert_eq!(size_of::<HostFunctions>(), 2 * size_of::<usize>());
    }

    #[test]
    fn manifest_new_pads_strings() {
        const M: PluginManifest = PluginManifest::new("demo", "1.2.3");
        assert_eq!(&M.magic, b"PLUGCTLM");
        assert_eq!(M.api_version, API_VERSION);
        assert_eq!(&M.name[..5], b"demo\0");
        assert_eq!(&M.version[..6], b"1.2.3\0");
        assert!(M.name[4..].iter().all(|&b| b == 0));
    }

    #[test]
    fn init_ok_logs_through_the_host() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (ok, logs) = run(1, |h| {
            h.log("hi");
            Ok(())
        });
        assert!(ok);
        assert_eq!(logs, ["hi"]);
    }

    #[test]
    fn init_err_is_logged_and_refused() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (ok, logs) = run(1, |_| Err("no config".to_string()));
        assert!(!ok);
        assert_eq!(logs, ["init failed: no config"]);
    }

    #[test]
    fn panic_does_not_unwind_into_the_host() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (ok, logs) = run(1, |_| panic!("boom"));
        assert!(!ok);
        assert_eq!(logs, ["init panicked: boom"]);
    }

    #[test]
    fn older_host_is_refused_before_init_runs() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (ok, logs) = run(0, |_| panic!("init must not run"));
        assert!(!ok);
        assert_eq!(
            logs,
            ["this plugin needs plugin API version 1; the host speaks 0"]
        );
    }

    #[test]
    fn null_table_is_refused() {
        assert!(!__init_plugin(
            std::ptr::null_mut(),
            std::ptr::null(),
            |_| Ok::<(), String>(())
        ));
    }

    #[test]
    fn host_is_usable_from_other_threads() {
        let _g = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let (ok, logs) = run(1, |h| {
            std::thread::spawn(move || h.log("from a thread"))
                .join()
                .unwrap();
            Ok(())
        });
        assert!(ok);
        assert_eq!(logs, ["from a thread"]);
    }
}
