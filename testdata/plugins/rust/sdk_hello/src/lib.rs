//! A plugin built with the Rust SDK: a manifest, no unsafe code, and a log
//! line from a thread it starts.

use plugctl_plugin::{Host, HostApi, export_plugin};

fn start(host: Host) -> Result<(), String> {
    host.log(&format!(
        "hello from the Rust SDK; the host speaks API {}",
        host.api_version()
    ));
    std::thread::spawn(move || host.log("hello from a Rust thread"))
        .join()
        .map_err(|_| "logging thread panicked".to_string())?;
    Ok(())
}

export_plugin!(name: "sdk-rust", version: env!("CARGO_PKG_VERSION"), init: start);
