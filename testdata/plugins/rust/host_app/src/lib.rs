//! The library half of a host application. Its plugin API types sit beside
//! the host's own machinery; a plugin that depends on this crate to get the
//! types links all of it. This is the mistake the links_host sample shows.

use std::collections::BTreeMap;
use std::ffi::c_void;

#[repr(C)]
pub struct HostFunctions {
    pub get_version: extern "C" fn(ctx: *mut c_void) -> u32,
    pub log: extern "C" fn(ctx: *mut c_void, message: *const u8, message_len: usize),
}

/// The host's plugin registry: host code, not API.
#[derive(Default)]
pub struct Registry {
    plugins: BTreeMap<String, u32>,
}

impl Registry {
    pub fn register(&mut self, name: &str, version: u32) -> bool {
        self.plugins.insert(name.to_owned(), version).is_none()
    }
    pub fn describe(&self) -> String {
        self.plugins
            .iter()
            .map(|(n, v)| format!("{n}@{v}"))
            .collect::<Vec<_>>()
            .join(",")
    }
    pub fn len(&self) -> usize {
        self.plugins.len()
    }
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }
}

pub fn host_config_dir() -> String {
    std::env::var("HOST_APP_CONFIG").unwrap_or_else(|_| "/etc/host_app".to_owned())
}
