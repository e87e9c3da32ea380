//! Regenerates the registry-format docs in `docs/` from the provider's own
//! schema, the prose templates in `templates/` and the examples in
//! `examples/`.
//!
//! ```text
//! cargo run -p tests --bin docgen             write docs/, delete pages of removed objects
//! cargo run -p tests --bin docgen -- --check  only compare; exit 1 when anything is stale
//! ```
//!
//! Exit codes: 0 all current, 1 problems or stale pages (listed on stderr),
//! 2 bad usage or an I/O error.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tests::docgen;

const USAGE: &str = "usage: docgen [--check] [--root DIR]\n  --check     compare docs/ with what would be generated; write nothing\n  --root DIR  repository root (default: the checkout this binary was built from)";

fn main() -> ExitCode {
    let mut check = false;
    let mut root = default_root();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--root" => match args.next() {
                Some(dir) => root = PathBuf::from(dir),
                None => return usage("--root needs a directory"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    run(&root, check)
}

fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("docgen: {problem}\n{USAGE}");
    ExitCode::from(2)
}

fn run(root: &Path, check: bool) -> ExitCode {
    let entries = match docgen::catalog() {
        Ok(entries) => entries,
        Err(problems) => return report(&problems, "cannot read the provider schema"),
    };
    let site = docgen::generate(root, &entries);
    if check {
        let mut problems = site.problems.clone();
        problems.extend(docgen::stale(root, &site));
        if problems.is_empty() {
            println!("docgen: {} pages are current", site.pages.len());
            return ExitCode::SUCCESS;
        }
        return report(&problems, "docs are not current");
    }
    match docgen::write(root, &site) {
        Ok(written) => {
            for path in &written.updated {
                println!("wrote   {}", path.display());
            }
            for path in &written.removed {
                println!("removed {}", path.display());
            }
            println!(
                "docgen: {} pages, {} written, {} removed",
                site.pages.len(),
                written.updated.len(),
                written.removed.len()
            );
        }
        Err(error) => {
            eprintln!("docgen: cannot write under `{}`: {error}", root.display());
            return ExitCode::from(2);
        }
    }
    if site.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        report(&site.problems, "some pages could not be generated")
    }
}

fn report(problems: &[docgen::Problem], headline: &str) -> ExitCode {
    eprintln!("docgen: {headline} ({} problems):", problems.len());
    for problem in problems {
        eprintln!("  {problem}");
    }
    ExitCode::from(1)
}
