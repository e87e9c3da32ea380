//! `terraform-provider-jit`: the plugin binary Terraform starts, and the
//! `audit` commands people run (`terraform-provider-jit audit --help`).
//!
//! Kept thin: dispatch `audit`, else guard against being run by hand, start
//! logging, serve.

use std::process::ExitCode;

use terraform_provider_jit::{cli, plugin, VERSION};

fn main() -> ExitCode {
    // Diagnostics capture a backtrace whenever RUST_BACKTRACE is set, and a
    // detail containing "panic" makes Terraform 1.0 report a crash for a
    // plain configuration error. Panics still keep their backtrace.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");

    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|first| first == "audit") {
        let Some(rest) = args
            .map(|arg| arg.into_string().ok())
            .collect::<Option<Vec<_>>>()
        else {
            eprintln!("error: arguments must be valid UTF-8");
            return ExitCode::from(2);
        };
        return cli::main(&rest);
    }
    if std::env::args().any(|arg| arg == "--version" || arg == "-v") {
        eprintln!("terraform-provider-jit {VERSION}");
        return ExitCode::SUCCESS;
    }
    if !plugin::started_by_terraform() {
        eprintln!("{}", plugin::NOT_A_PLUGIN_MESSAGE);
        eprintln!("To check or render the audit log: terraform-provider-jit audit --help");
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
