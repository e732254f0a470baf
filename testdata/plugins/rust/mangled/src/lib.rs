//! The mistake this sample makes: init_plugin without #[unsafe(no_mangle)].
//! Rust mangles its name and does not export it, so no host can find it.

use std::ffi::c_void;

#[repr(C)]
pub struct HostFunctions {
    pub get_version: extern "C" fn(ctx: *mut c_void) -> u32,
    pub log: extern "C" fn(ctx: *mut c_void, message: *const u8, message_len: usize),
}

#[inline(never)]
pub extern "C" fn init_plugin(ctx: *mut c_void, functions: *const HostFunctions) -> bool {
    // SAFETY: the host passes a valid table for the life of the process.
    let Some(functions) = (unsafe { functions.as_ref() }) else {
        return false;
    };
    let msg = "unreachable: nobody can find this function";
    (functions.log)(ctx, msg.as_ptr(), msg.len());
    true
}

/// Something exported that refers to init_plugin, as a plugin's own table of
/// entry points might; it keeps the mangled function in the file.
#[unsafe(no_mangle)]
pub static PLUGIN_ENTRIES: [extern "C" fn(*mut c_void, *const HostFunctions) -> bool; 1] =
    [init_plugin];
