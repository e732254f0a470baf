//! A plain v1 plugin written against the ABI alone, with no SDK: its own
//! #[repr(C)] HostFunctions and its own init_plugin, as plugin authors write
//! them. It must keep loading unchanged.

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
    if (functions.get_version)(ctx) < 1 {
        return false;
    }
    let msg = "hello from a plain Rust plugin";
    (functions.log)(ctx, msg.as_ptr(), msg.len());
    true
}
