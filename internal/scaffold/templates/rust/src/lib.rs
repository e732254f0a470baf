//! [[.Name]]: a plugin for hosts that speak the plugctl plugin ABI, version 1.
//! The SDK (plugctl-plugin) checks the host's API version, writes the
//! manifest and `init_plugin`, and keeps panics out of the host.

use plugctl_plugin::{Host, HostApi, export_plugin};

fn start(host: Host) -> Result<(), String> {
    host.log("[[.Name]] is ready");
    Ok(())
}

export_plugin!(name: "[[.Name]]", version: env!("CARGO_PKG_VERSION"), init: start);
