//! A plugin linked against Rust's dynamic standard library (built with
//! `-C prefer-dynamic`): it needs libstd-<hash>.so, which plugctl flags.

use std::ffi::c_void;

#[repr(C)]
pub struct HostFunctions {
    pub get_version: extern "C" fn(ctx: *mut c_void) -> u32,
    pub log: extern "C" fn(ctx: *mut c_void, message: *const u8, message_len: usize),
}

#[unsafe(no_mangle)]
pub extern "C" fn init_plugin(ctx: *mut c_void, functions: *const HostFunctions) -> bool {
    // SAFETY: the host passes a valid table for the life of the process.
    let Some(functions) = (unsafe { functions.as_ref() }) else {
        return false;
    };
    let msg = format!(
        "hello from a plugin on the dynamic std, host API {}",
        (functions.get_version)(ctx)
    );
    (functions.log)(ctx, msg.as_ptr(), msg.len());
    true
}
