//! A plugin that depends on the host application's crate to get the plugin
//! API types: it links the host's code into itself and, built as a Rust
//! dylib, exports it. plugctl flags the foreign crate's exported symbols.

use host_app::{HostFunctions, Registry};
use std::ffi::c_void;

#[unsafe(no_mangle)]
pub extern "C" fn init_plugin(ctx: *mut c_void, functions: *const HostFunctions) -> bool {
    // SAFETY: the host passes a valid table for the life of the process.
    let Some(functions) = (unsafe { functions.as_ref() }) else {
        return false;
    };
    let mut registry = Registry::default();
    registry.register("links_host", (functions.get_version)(ctx));
    let msg = format!(
        "registered {} (config in {})",
        registry.describe(),
        host_app::host_config_dir()
    );
    (functions.log)(ctx, msg.as_ptr(), msg.len());
    true
}
