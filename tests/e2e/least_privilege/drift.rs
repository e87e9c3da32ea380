//! The action table against the code: every AWS operation `provider/src/aws/`
//! calls is in `policy/actions` (`ACTIONS`, `Origin::Calls`), and the table
//! lists no operation the code never calls. Each SDK request a client
//! builds (`client.<operation>()`) must carry its operation's name into the
//! error mapping, so the scan cannot miss a call written without one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use terraform_provider_jit::policy::actions;

fn aws_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../provider/src/aws")
        .canonicalize()
        .expect("provider/src/aws")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file without `#[cfg(test)]` modules (test code builds SDK values,
/// it calls nothing) and without comments.
fn production_code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .map(|line| match line.trim_start().starts_with("//") {
            true => "",
            false => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The value of `const SERVICE: &str = "…";` in the file or, for a file
/// in a service folder, in its `mod.rs`.
fn service_const(path: &Path, code: &str) -> Option<String> {
    let find = |text: &str| {
        let at = text.find("const SERVICE: &str = \"")?;
        let rest = &text[at + "const SERVICE: &str = \"".len()..];
        Some(rest[..rest.find('"')?].to_string())
    };
    find(code).or_else(|| {
        let module = path.parent()?.join("mod.rs");
        find(&std::fs::read_to_string(module).ok()?)
    })
}

/// Text of the first argument and the string literal of the second (or the
/// first, for one-argument mappers), after `marker(` at `at`.
fn arguments(code: &str, at: usize) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut depth = 0usize;
    let mut args = vec![String::new()];
    let mut i = at;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if in_string {
            args.last_mut().expect("arg").push(c);
            if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                '"' => {
                    in_string = true;
                    args.last_mut().expect("arg").push(c);
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    args.last_mut().expect("arg").push(c);
                }
                ')' | ']' | '}' if depth == 0 => break,
                ')' | ']' | '}' => {
                    depth -= 1;
                    args.last_mut().expect("arg").push(c);
                }
                ',' if depth == 0 => args.push(String::new()),
                _ => args.last_mut().expect("arg").push(c),
            }
        }
        i += 1;
        if args.len() > 3 {
            break;
        }
    }
    args.into_iter().map(|a| a.trim().to_string()).collect()
}

fn literal(arg: &str) -> Option<String> {
    let arg = arg.trim();
    (arg.starts_with('"') && arg.ends_with('"') && arg.len() >= 2)
        .then(|| arg[1..arg.len() - 1].to_string())
}

/// One call found in the source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    service: String,
    operation: String,
    file: String,
}

/// Operation names passed to the error mappers of `aws/`, per file.
fn named_operations() -> Vec<Found> {
    let root = aws_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    let mut found = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("source");
        let code = production_code(&text);
        let file = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let service = service_const(&path, &code);
        let resolve = |arg: &str| -> Option<String> {
            match arg {
                "SERVICE" | "$crate::aws::iam::SERVICE" => service.clone(),
                other => literal(other),
            }
        };
        // aws_error(SERVICE, "Op", e) and send!(SERVICE, "Op", request)
        for marker in ["aws_error(", "send!("] {
            for (at, _) in code.match_indices(marker) {
                let args = arguments(&code, at + marker.len());
                if args.len() < 2 || args[0].contains("service") {
                    continue; // the definitions themselves
                }
                if let (Some(service), Some(operation)) = (resolve(&args[0]), literal(&args[1])) {
                    found.push(Found {
                        service,
                        operation,
                        file: file.clone(),
                    });
                }
            }
        }
        // list!("Op", request) in aws/iam, store_error("Op", e) in
        // aws/identity_store
        for marker in ["list!(", "store_error("] {
            for (at, _) in code.match_indices(marker) {
                let args = arguments(&code, at + marker.len());
                if let (Some(service), Some(operation)) =
                    (service.clone(), args.first().and_then(|a| literal(a)))
                {
                    found.push(Found {
                        service,
                        operation,
                        file: file.clone(),
                    });
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `client.<snake_case_operation>()` calls per file (the SDK's fluent
/// builders), lower-cased without underscores.
fn sdk_requests() -> BTreeMap<String, BTreeSet<String>> {
    let root = aws_root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("source");
        let code = production_code(&text);
        let squeezed: String = code.split_whitespace().collect();
        let file = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        for (at, _) in squeezed.match_indices("client.") {
            let rest = &squeezed[at + "client.".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit())
                .collect();
            let called = rest[name.len()..].starts_with("()");
            if name.is_empty() || !called || matches!(name.as_str(), "clone") {
                continue;
            }
            out.entry(file.clone())
                .or_default()
                .insert(name.replace('_', ""));
        }
    }
    out
}

fn squash(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "")
}

#[test]
fn every_aws_call_is_in_the_action_table() {
    let found = named_operations();
    assert!(
        found.len() > 50,
        "the scan of provider/src/aws found only {} calls: {found:#?}",
        found.len()
    );
    let mut missing = Vec::new();
    for call in &found {
        if actions::action_of_call(&call.service, &call.operation).is_none() {
            missing.push(format!(
                "- `aws/{}` calls {} `{}`: add it to the `Origin::Calls` of its action in \
                 provider/src/policy/actions/table.rs (`ACTIONS`), and the action to the steps \
                 that call it (`COMPONENTS`)",
                call.file, call.service, call.operation
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "The action table misses AWS calls of the provider:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_action_table_lists_no_call_the_code_never_makes() {
    let found: BTreeSet<(String, String)> = named_operations()
        .into_iter()
        .map(|f| (f.service, f.operation))
        .collect();
    let stale: Vec<String> = actions::calls()
        .into_iter()
        .filter(|(service, operation, _)| {
            !found.contains(&(service.to_string(), operation.to_string()))
        })
        .map(|(service, operation, action)| {
            format!("- {service} `{operation}` (`{action}`): no `aws/` file calls it")
        })
        .collect();
    assert!(
        stale.is_empty(),
        "The action table lists calls the provider never makes; remove them:\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_sdk_request_is_named_for_the_table() {
    let named: BTreeMap<String, BTreeSet<String>> =
        named_operations()
            .into_iter()
            .fold(BTreeMap::new(), |mut map, found| {
                map.entry(found.file)
                    .or_default()
                    .insert(squash(&found.operation));
                map
            });
    let mut unnamed = Vec::new();
    let requests = sdk_requests();
    assert!(
        requests.values().map(BTreeSet::len).sum::<usize>() > 50,
        "{requests:#?}"
    );
    for (file, operations) in requests {
        for operation in operations {
            if !named.get(&file).is_some_and(|n| n.contains(&operation)) {
                unnamed.push(format!(
                    "- `aws/{file}` sends `{operation}` without naming it in \
                     `aws_error`/`send!`/`list!`/`store_error`"
                ));
            }
        }
    }
    assert!(
        unnamed.is_empty(),
        "SDK requests the action table cannot see:\n{}",
        unnamed.join("\n")
    );
}

#[test]
fn the_scan_reads_macros_split_over_lines() {
    let code = "let x = send!(\n    SERVICE,\n    \"GetUser\",\n    self.client.get_user().user_name(name)\n)?;\nlist!(\n  \"ListUsers\", self.client.list_users())";
    let at = code.find("send!(").unwrap() + "send!(".len();
    let args = arguments(code, at);
    assert_eq!(args[0], "SERVICE");
    assert_eq!(literal(&args[1]).as_deref(), Some("GetUser"));
    let at = code.find("list!(").unwrap() + "list!(".len();
    assert_eq!(
        literal(&arguments(code, at)[0]).as_deref(),
        Some("ListUsers")
    );
    assert_eq!(
        squash("List_SSH_PublicKeys"),
        squash("list_ssh_public_keys")
    );
}
