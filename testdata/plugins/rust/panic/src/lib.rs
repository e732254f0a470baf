//! A Rust plugin whose init_plugin panics after logging, without catching the
//! panic: it cannot unwind out of an `extern "C"` function, so Rust prints the
//! panic message to stderr and aborts the process (SIGABRT). A host must
//! report the crash, the log line and the message.

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
    let msg = "about to panic";
    (functions.log)(ctx, msg.as_ptr(), msg.len());
    let config: Option<&str> = None;
    panic!("no configuration for {}", config.unwrap_or("this plugin"));
}
