//! `terraform-provider-jit`: the plugin binary Terraform starts.
//!
//! Kept thin: guard against being run by hand, start logging, serve.

use std::process::ExitCode;

use terraform_provider_jit::{plugin, VERSION};

fn main() -> ExitCode {
    // Diagnostics capture a backtrace whenever RUST_BACKTRACE is set, and a
    // detail containing "panic" makes Terraform 1.0 report a crash for a
    // plain configuration error. Panics still keep their backtrace.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");

    if std::env::args().any(|arg| arg == "--version" || arg == "-v") {
        eprintln!("terraform-provider-jit {VERSION}");
        return ExitCode::SUCCESS;
    }
    if !plugin::started_by_terraform() {
        eprintln!("{}", plugin::NOT_A_PLUGIN_MESSAGE);
        return ExitCode::FAILURE;
    }
    match plugin::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("terraform-provider-jit: {error}");
            ExitCode::FAILURE
        }
    }
}
