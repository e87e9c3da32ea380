//! Identity Center users, groups and memberships (resources, data sources and
//! the onboarding module) end to end. Identity store ids change with every
//! moto start, so each case reads its own.

use super::*;
use aws_sdk_identitystore::types::{Email, MemberId, Name};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

const USER: &str = "jit_identity_center_user.u";
const GROUP: &str = "jit_identity_center_group.g";
const MEMBERSHIP: &str = "jit_identity_center_group_membership.m";

/// The case's identity store id.
pub(crate) fn store(aws: &Aws) -> String {
    let instances = aws
        .run(aws.clients.sso_admin.list_instances().send())
        .unwrap();
    instances.instances()[0]
        .identity_store_id()
        .unwrap()
        .to_string()
}

pub(crate) fn user_hcl(label: &str, user_name: &str, email: &str, extra: &str) -> String {
    format!(
        "\nresource \"jit_identity_center_user\" \"{label}\" {{\n  user_name   = \"{user_name}\"\n  given_name  = \"Ada\"\n  family_name = \"Lovelace\"\n  email       = \"{email}\"\n{extra}}}\n"
    )
}

/// Creates a user outside Terraform (every user gets an email: moto's
/// GetUserId by email fails with 500 when any user has none).
fn make_user(aws: &Aws, store: &str, user_name: &str, email: &str) -> String {
    aws.run(
        aws.clients
            .identity_store
            .create_user()
            .identity_store_id(store)
            .user_name(user_name)
            .display_name(user_name)
            .name(
                Name::builder()
                    .given_name("Out")
                    .family_name("Side")
                    .build(),
            )
            .emails(Email::builder().value(email).primary(true).build())
            .send(),
    )
    .unwrap()
    .user_id
}

fn make_group(aws: &Aws, store: &str, name: &str) -> String {
    aws.run(
        aws.clients
            .identity_store
            .create_group()
            .identity_store_id(store)
            .display_name(name)
            .send(),
    )
    .unwrap()
    .group_id
}

pub(crate) fn user_exists(aws: &Aws, store: &str, user_id: &str) -> bool {
    aws.run(
        aws.clients
            .identity_store
            .describe_user()
            .identity_store_id(store)
            .user_id(user_id)
            .send(),
    )
    .is_ok()
}

pub(crate) fn group_exists(aws: &Aws, store: &str, group_id: &str) -> bool {
    aws.run(
        aws.clients
            .identity_store
            .describe_group()
            .identity_store_id(store)
            .group_id(group_id)
            .send(),
    )
    .is_ok()
}

/// Membership ids of `user_id` in `group_id` (moto can hold duplicates).
pub(crate) fn memberships(aws: &Aws, store: &str, group_id: &str, user_id: &str) -> Vec<String> {
    aws.run(
        aws.clients
            .identity_store
            .list_group_memberships()
            .identity_store_id(store)
            .group_id(group_id)
            .send(),
    )
    .unwrap()
    .group_memberships()
    .iter()
    .filter(|m| m.member_id().and_then(|id| id.as_user_id().ok()) == Some(&user_id.to_string()))
    .map(|m| m.membership_id().to_string())
    .collect()
}

pub(crate) fn moto_port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// A recording HTTP proxy between the provider and moto: it keeps each
/// request's `X-Amz-Target` and body, so a test sees exactly what AWS would
/// receive, even for operations moto does not implement. (moto's own
/// recorder writes to a file in the working directory shared by every case.)
struct Recorder {
    port: u16,
    seen: Arc<Mutex<Vec<(String, String)>>>,
}

impl Recorder {
    fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || relay(client, upstream, &log));
            }
        });
        Self { port, seen }
    }

    /// The JSON bodies of the recorded requests for one operation.
    fn bodies(&self, target: &str) -> Vec<serde_json::Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| t == target)
            .map(|(_, body)| serde_json::from_str(body).unwrap())
            .collect()
    }
}

/// Relays one request (the connection is closed after it, so the client
/// opens a new one for the next) and records it.
fn relay(client: TcpStream, upstream: u16, log: &Mutex<Vec<(String, String)>>) -> Option<()> {
    let mut reader = BufReader::new(client.try_clone().ok()?);
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push(line.trim_end().to_string());
    }
    let header = |name: &str| {
        head.iter().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    log.lock().ok()?.push((
        header("x-amz-target").unwrap_or_default(),
        String::from_utf8_lossy(&body).into_owned(),
    ));
    let mut request: String = head
        .iter()
        .filter(|line| !line.to_ascii_lowercase().starts_with("connection:"))
        .map(|line| format!("{line}\r\n"))
        .collect();
    request.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    server.write_all(request.as_bytes()).ok()?;
    server.write_all(&body).ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).ok()?;
    let mut client = client;
    client.write_all(&response).ok()?;
    client.shutdown(Shutdown::Both).ok()
}

tftest!(identity_center_user_lifecycle, |tf, aws| {
    let store = store(aws);
    let user_name = format!("{}-ada", tf.prefix);
    let email = format!("{}.ada@example.com", tf.prefix);
    let config = |extra: &str| [tf.provider(""), user_hcl("u", &user_name, &email, extra)].concat();

    // 1. Basic: required arguments only; computed attributes and AWS agree.
    tf.write_main(&[&config("")]);
    tf.init();
    tf.apply();
    let state = tf.resource(USER);
    let user_id = state["user_id"].as_str().unwrap().to_string();
    assert_eq!(state["id"], user_id);
    assert_eq!(state["identity_store_id"], store);
    assert_eq!(state["display_name"], "Ada Lovelace");
    let in_aws = aws
        .run(
            aws.clients
                .identity_store
                .describe_user()
                .identity_store_id(&store)
                .user_id(&user_id)
                .send(),
        )
        .unwrap();
    assert_eq!(in_aws.user_name(), Some(user_name.as_str()));
    assert_eq!(in_aws.display_name(), Some("Ada Lovelace"));
    assert_eq!(in_aws.name().unwrap().family_name(), Some("Lovelace"));
    assert_eq!(in_aws.emails()[0].value(), Some(email.as_str()));
    assert!(in_aws.emails()[0].primary());
    let events = tf.audit_events();
    assert!(
        events
            .iter()
            .any(|e| e["action"] == "identity_center_user.create" && e["result"] == "success"),
        "{events:?}"
    );
    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // Update: names and email change in place, never by replacement.
    tf.write_main(&[&config("  display_name = \"Countess of Lovelace\"\n")]);
    let changes = tf.plan_changes();
    assert_eq!(changes.actions_for(USER), vec!["update"]);
    // moto 5.2.5 does not implement UpdateUser (HTTP 500). The apply must
    // fail with AWS's answer and keep the prior state; the request itself,
    // as real AWS would receive it, is checked through a recording proxy
    // (and the operations at unit level:
    // `update_sends_one_operation_per_changed_attribute`).
    let recorder = Recorder::start(moto_port(aws));
    let via_recorder = tf
        .provider("")
        .replace(&tf.endpoint, &format!("http://127.0.0.1:{}", recorder.port));
    tf.write_main(&[
        &via_recorder,
        &user_hcl(
            "u",
            &user_name,
            &email,
            "  display_name = \"Countess of Lovelace\"\n",
        ),
    ]);
    let failed = tf.apply_fails();
    let error = failed.error("AWS identitystore UpdateUser failed");
    assert!(error.detail.contains("HTTP 500"), "{error:?}");
    let bodies = recorder.bodies("AWSIdentityStore.UpdateUser");
    assert!(!bodies.is_empty(), "UpdateUser was not sent");
    assert_eq!(bodies[0]["UserId"], user_id);
    assert_eq!(bodies[0]["IdentityStoreId"], store);
    assert_eq!(
        bodies[0]["Operations"],
        serde_json::json!([{"AttributePath": "displayName", "AttributeValue": "Countess of Lovelace"}])
    );
    // The email is replaced as a whole list, with lower-case SCIM keys.
    tf.write_main(&[
        &via_recorder,
        &user_hcl("u", &user_name, &format!("new.{email}"), ""),
    ]);
    tf.apply_fails();
    let bodies = recorder.bodies("AWSIdentityStore.UpdateUser");
    assert_eq!(
        bodies.last().unwrap()["Operations"],
        serde_json::json!([{"AttributePath": "emails", "AttributeValue": [{"value": format!("new.{email}"), "type": "work", "primary": true}]}])
    );
    tf.write_main(&[&config("  display_name = \"Countess of Lovelace\"\n")]);
    assert_eq!(tf.resource(USER)["display_name"], "Ada Lovelace");
    assert_eq!(tf.plan_changes().actions_for(USER), vec!["update"]);
    // A user name change replaces the user.
    tf.write_main(&[
        &tf.provider(""),
        &user_hcl("u", &format!("{user_name}-2"), &email, ""),
    ]);
    assert_eq!(
        tf.plan_changes().actions_for(USER),
        vec!["delete", "create"]
    );
    tf.write_main(&[&config("")]);
    tf.assert_plan_empty();

    // 3. Import by user id and by user name into fresh state.
    for (suffix, id) in [
        ("import-id", user_id.as_str()),
        ("import-name", user_name.as_str()),
    ] {
        let imported = tf.sibling(suffix);
        imported.write_main(&[&config("")]);
        imported.init();
        imported.import(USER, id);
        assert_eq!(imported.resource(USER), tf.resource(USER), "import by {id}");
        imported.assert_plan_empty();
    }

    // Duplicates: the same email (in other case) or the same user name is a
    // warning at plan and an error at apply naming the user and the import.
    let other = format!("{}-countess", tf.prefix);
    tf.write_main(&[
        &config(""),
        &user_hcl("dup", &other, &email.to_uppercase(), ""),
    ]);
    let warned = tf.plan_json();
    let warning = warned.warning(&format!(
        "already belongs to Identity Center user `{user_name}`"
    ));
    assert!(
        warning.detail.contains("unless the plan replaces"),
        "{warning:?}"
    );
    let failed = tf.apply_fails();
    let error = failed.error(&format!(
        "Email `{}` already belongs to Identity Center user `{user_name}`",
        email
    ));
    assert!(error.code.contains("email"), "{error:?}");
    assert!(
        error.detail.contains(&format!(
            "terraform import jit_identity_center_user.<name> {user_id}"
        )),
        "{error:?}"
    );
    tf.write_main(&[
        &config(""),
        &user_hcl("dup", &user_name, "someone.else@example.com", ""),
    ]);
    let failed = tf.apply_fails();
    let error = failed.error(&format!(
        "Identity Center user `{user_name}` already exists"
    ));
    assert!(error.code.contains("user_name"), "{error:?}");
    assert!(!tf.has_resource("jit_identity_center_user.dup"));
    // A user created outside Terraform is found the same way.
    let outside = make_user(
        aws,
        &store,
        &format!("{}-grace", tf.prefix),
        "grace@example.com",
    );
    tf.write_main(&[
        &config(""),
        &user_hcl("dup", &other, "grace@example.com", ""),
    ]);
    assert!(tf
        .apply_fails()
        .error("already belongs to Identity Center user")
        .detail
        .contains(&outside));

    // 4. Drift: a user deleted outside Terraform is planned for creation.
    tf.write_main(&[&config("")]);
    aws.run(
        aws.clients
            .identity_store
            .delete_user()
            .identity_store_id(&store)
            .user_id(&user_id)
            .send(),
    )
    .unwrap();
    assert_eq!(tf.plan_changes().actions_for(USER), vec!["create"]);
    tf.apply();
    let new_id = tf.resource(USER)["user_id"].as_str().unwrap().to_string();
    assert_ne!(new_id, user_id);
    tf.assert_plan_empty();

    // 5. Destroy; destroying a user already gone (no refresh, so DeleteUser
    // really runs on a missing user) succeeds.
    aws.run(
        aws.clients
            .identity_store
            .delete_user()
            .identity_store_id(&store)
            .user_id(&new_id)
            .send(),
    )
    .unwrap();
    tf.ok(&["destroy", "-auto-approve", "-refresh=false", "-no-color"]);
    assert!(!tf.has_resource(USER));
    assert!(!user_exists(aws, &store, &new_id));
});

tftest!(identity_center_user_bad_input, |tf, _aws| {
    // 6. Bad input fails at plan and names the attribute.
    tf.write_main(&[
        &tf.provider(""),
        &user_hcl("u", "ada", "ada.example.com", ""),
    ]);
    tf.init();
    let failed = tf.plan_fails();
    let error = failed.error("Invalid email address");
    assert!(error.code.contains("email"), "{error:?}");
    assert!(error.detail.contains("no `@`"), "{error:?}");

    tf.write_main(&[
        &tf.provider(""),
        &user_hcl("u", "ada lovelace", "ada@example.com", ""),
    ]);
    assert!(tf
        .plan_fails()
        .error("Invalid user name")
        .code
        .contains("user_name"));

    // Unknown values from other resources still plan.
    tf.write_main(&[
        &tf.provider(""),
        &user_hcl("first", "first", "first@example.com", ""),
        "\nresource \"jit_identity_center_user\" \"second\" {\n  user_name   = \"second\"\n  given_name  = \"Ada\"\n  family_name = jit_identity_center_user.first.user_id\n  email       = \"second@example.com\"\n}\n",
    ]);
    let plan = tf.plan_changes();
    assert_eq!(plan.actions().len(), 2);
    assert!(plan.after("jit_identity_center_user.second")["display_name"].is_null());
});

pub(crate) fn group_hcl(name: &str, extra: &str) -> String {
    format!("\nresource \"jit_identity_center_group\" \"g\" {{\n  name = \"{name}\"\n{extra}}}\n")
}

pub(crate) fn membership_hcl(group: &str, user: &str) -> String {
    format!("\nresource \"jit_identity_center_group_membership\" \"m\" {{\n  group = {group}\n  user  = {user}\n}}\n")
}

tftest!(identity_center_group_membership_lifecycle, |tf, aws| {
    let store = store(aws);
    let group_name = format!("{} Kiro Pro", tf.prefix);
    let user_name = format!("{}-ada", tf.prefix);
    let email = format!("{}.ada@example.com", tf.prefix);
    let base = [
        tf.provider(""),
        group_hcl(&group_name, "  description = \"Kiro Pro seats\"\n"),
        user_hcl("u", &user_name, &email, ""),
    ]
    .concat();
    let by_id = membership_hcl(
        "jit_identity_center_group.g.group_id",
        "jit_identity_center_user.u.user_id",
    );

    // 1. Basic.
    tf.write_main(&[&base, &by_id]);
    tf.init();
    tf.apply();
    let group = tf.resource(GROUP);
    let group_id = group["group_id"].as_str().unwrap().to_string();
    assert_eq!(group["id"], group_id);
    assert_eq!(group["identity_store_id"], store);
    assert!(group_exists(aws, &store, &group_id));
    let user_id = tf.resource(USER)["user_id"].as_str().unwrap().to_string();
    let membership = tf.resource(MEMBERSHIP);
    let membership_id = membership["membership_id"].as_str().unwrap().to_string();
    assert_eq!(membership["id"], membership_id);
    assert_eq!(membership["group_id"], group_id);
    assert_eq!(membership["user_id"], user_id);
    assert_eq!(
        memberships(aws, &store, &group_id, &user_id),
        vec![membership_id.clone()]
    );
    let events = tf.audit_events();
    let results: Vec<_> = events
        .iter()
        .filter(|e| e["action"] == "identity_center_group_membership.create")
        .map(|e| e["result"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(results, ["intent", "success"], "{events:?}");
    // 2. Plan after apply is empty.
    tf.assert_plan_empty();

    // Group name and description update in place (moto lacks UpdateGroup,
    // so only the plan is checked here; see the unit test
    // `update_renames_and_removes_the_description_with_null`).
    tf.write_main(&[
        &tf.provider(""),
        &group_hcl(&format!("{group_name} 2"), ""),
        &user_hcl("u", &user_name, &email, ""),
        &by_id,
    ]);
    assert_eq!(tf.plan_changes().actions_for(GROUP), vec!["update"]);

    // Switching `group` and `user` from ids to names of the same objects
    // changes nothing in AWS: an in-place update of the written form.
    let by_name = membership_hcl(&format!("\"{group_name}\""), &format!("\"{user_name}\""));
    tf.write_main(&[&base, &by_name]);
    let changes = tf.plan_changes();
    assert_eq!(changes.actions_for(MEMBERSHIP), vec!["update"]);
    assert_eq!(changes.after(MEMBERSHIP)["membership_id"], membership_id);
    tf.apply();
    tf.assert_plan_empty();
    assert_eq!(
        memberships(aws, &store, &group_id, &user_id),
        vec![membership_id.clone()]
    );
    // And back: references order the apply (a literal name does not wait
    // for a user created in the same apply).
    tf.write_main(&[&base, &by_id]);
    assert_eq!(tf.plan_changes().actions_for(MEMBERSHIP), vec!["update"]);
    tf.apply();
    tf.assert_plan_empty();

    // 3. Import the group by name and by id, the membership by its id.
    let imported = tf.sibling("import");
    imported.write_main(&[&base, &by_id]);
    imported.init();
    imported.import(GROUP, &group_name);
    imported.import(USER, &user_id);
    imported.import(MEMBERSHIP, &membership_id);
    assert_eq!(imported.resource(GROUP), tf.resource(GROUP));
    let mut expected = tf.resource(MEMBERSHIP);
    expected["group"] = group_id.clone().into();
    expected["user"] = user_id.clone().into();
    assert_eq!(imported.resource(MEMBERSHIP), expected);
    imported.assert_plan_empty();
    let by_group_id = tf.sibling("import-id");
    by_group_id.write_main(&[&base]);
    by_group_id.init();
    by_group_id.import(GROUP, &group_id);
    assert_eq!(by_group_id.resource(GROUP), tf.resource(GROUP));

    // 4. Membership drift: removed outside Terraform → planned for creation.
    aws.run(
        aws.clients
            .identity_store
            .delete_group_membership()
            .identity_store_id(&store)
            .membership_id(&membership_id)
            .send(),
    )
    .unwrap();
    assert_eq!(
        tf.plan_changes().actions(),
        vec![(MEMBERSHIP.to_string(), vec!["create".to_string()])]
    );
    tf.apply();
    assert_eq!(memberships(aws, &store, &group_id, &user_id).len(), 1);
    tf.assert_plan_empty();
    // Its user deleted outside Terraform: both are planned for creation, no
    // error (moto keeps the membership row of a deleted user; AWS drops it).
    aws.run(
        aws.clients
            .identity_store
            .delete_user()
            .identity_store_id(&store)
            .user_id(&user_id)
            .send(),
    )
    .unwrap();
    let changes = tf.plan_changes();
    assert_eq!(changes.actions_for(USER), vec!["create"]);
    assert_eq!(changes.actions_for(MEMBERSHIP), vec!["create"]);
    tf.apply();
    let user_id = tf.resource(USER)["user_id"].as_str().unwrap().to_string();
    assert_eq!(memberships(aws, &store, &group_id, &user_id).len(), 1);
    tf.assert_plan_empty();

    // A membership that already exists outside Terraform is not duplicated.
    let grace = make_user(
        aws,
        &store,
        &format!("{}-grace", tf.prefix),
        "grace@example.com",
    );
    let outside = aws
        .run(
            aws.clients
                .identity_store
                .create_group_membership()
                .identity_store_id(&store)
                .group_id(&group_id)
                .member_id(MemberId::UserId(grace.clone()))
                .send(),
        )
        .unwrap()
        .membership_id;
    tf.write_main(&[
        &base,
        &by_id,
        &format!("\nresource \"jit_identity_center_group_membership\" \"grace\" {{\n  group = jit_identity_center_group.g.group_id\n  user  = \"{grace}\"\n}}\n"),
    ]);
    let failed = tf.apply_fails();
    let error = failed.error("is already a member of Identity Center group");
    assert!(
        error.detail.contains(&format!(
            "terraform import jit_identity_center_group_membership.<name> {outside}"
        )),
        "{error:?}"
    );
    assert_eq!(memberships(aws, &store, &group_id, &grace), vec![outside]);

    // 5. Destroy with everything already gone (no refresh, so every delete
    // call meets a missing object), then nothing is left.
    tf.write_main(&[&base, &by_id]);
    let membership_id = tf.resource(MEMBERSHIP)["membership_id"]
        .as_str()
        .unwrap()
        .to_string();
    let identity_store = &aws.clients.identity_store;
    aws.run(
        identity_store
            .delete_group_membership()
            .identity_store_id(&store)
            .membership_id(&membership_id)
            .send(),
    )
    .unwrap();
    aws.run(
        identity_store
            .delete_group()
            .identity_store_id(&store)
            .group_id(&group_id)
            .send(),
    )
    .unwrap();
    aws.run(
        identity_store
            .delete_user()
            .identity_store_id(&store)
            .user_id(&user_id)
            .send(),
    )
    .unwrap();
    tf.ok(&["destroy", "-auto-approve", "-refresh=false", "-no-color"]);
    assert!(!tf.has_resource(MEMBERSHIP) && !tf.has_resource(GROUP) && !tf.has_resource(USER));
});

tftest!(identity_center_group_lifecycle_destroy, |tf, aws| {
    let store = store(aws);
    // A group created outside Terraform blocks a resource of the same name.
    let name = format!("{} Platform", tf.prefix);
    let outside = make_group(aws, &store, &name);
    tf.write_main(&[&tf.provider(""), &group_hcl(&name, "")]);
    tf.init();
    let warned = tf.plan_json();
    assert!(warned
        .warning(&format!("Identity Center group `{name}` already exists"))
        .detail
        .contains(&outside));
    let failed = tf.apply_fails();
    let error = failed.error(&format!("Identity Center group `{name}` already exists"));
    assert!(error.code.contains("name"), "{error:?}");
    assert!(error.detail.contains(&format!(
        "terraform import jit_identity_center_group.<name> {outside}"
    )));

    // Adopting it by import, then destroy removes it; a reserved name fails.
    tf.import(GROUP, &outside);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(!group_exists(aws, &store, &outside));
    tf.write_main(&[&tf.provider(""), &group_hcl("Administrator", "")]);
    assert!(tf
        .plan_fails()
        .error("Invalid group name")
        .detail
        .contains("reserved"));

    // A membership naming a group or user that does not exist fails at
    // apply (names may be created by the same apply), on the attribute.
    tf.write_main(&[
        &tf.provider(""),
        &membership_hcl("\"No Such Group\"", "\"nobody\""),
    ]);
    let failed = tf.apply_fails();
    let error = failed.error("Identity Center group not found");
    assert!(
        error.code.contains("group") && error.detail.contains("`No Such Group`"),
        "{error:?}"
    );
    let error = failed.error("Identity Center user not found");
    assert!(error.code.contains("user"), "{error:?}");
});

tftest!(identity_center_data_sources, |tf, aws| {
    let store = store(aws);
    let ada = make_user(aws, &store, "ada", "Ada@Example.com");
    let group = make_group(aws, &store, "Kiro Pro");
    tf.write_main(&[
        &tf.provider(""),
        "\ndata \"jit_identity_center_user\" \"by_name\" {\n  user_name = \"ada\"\n}\n\ndata \"jit_identity_center_user\" \"by_email\" {\n  email = \"ada@example.com\"\n}\n\ndata \"jit_identity_center_group\" \"kiro\" {\n  name = \"Kiro Pro\"\n}\n\nresource \"jit_identity_center_group_membership\" \"m\" {\n  group = data.jit_identity_center_group.kiro.group_id\n  user  = data.jit_identity_center_user.by_email.user_id\n}\n\noutput \"by_name\" {\n  value = data.jit_identity_center_user.by_name\n}\n\noutput \"by_email\" {\n  value = data.jit_identity_center_user.by_email\n}\n\noutput \"group\" {\n  value = data.jit_identity_center_group.kiro\n}\n",
    ]);
    tf.init();
    tf.apply();
    let by_name = tf.output("by_name");
    assert_eq!(by_name["user_id"], ada);
    assert_eq!(by_name["id"], ada);
    assert_eq!(by_name["email"], "Ada@Example.com");
    assert_eq!(by_name["given_name"], "Out");
    assert_eq!(by_name["family_name"], "Side");
    assert_eq!(by_name["display_name"], "ada");
    assert_eq!(by_name["identity_store_id"], store);
    let by_email = tf.output("by_email");
    assert_eq!(by_email["user_id"], ada);
    assert_eq!(by_email["user_name"], "ada");
    assert_eq!(by_email["email"], "ada@example.com");
    let group_out = tf.output("group");
    assert_eq!(group_out["group_id"], group);
    assert!(group_out["description"].is_null());
    assert_eq!(memberships(aws, &store, &group, &ada).len(), 1);
    tf.assert_plan_empty();
    tf.destroy();
    assert!(memberships(aws, &store, &group, &ada).is_empty());
    assert!(group_exists(aws, &store, &group) && user_exists(aws, &store, &ada));

    // No match and several matches are clear errors on the attribute.
    let lookup = |body: &str| [tf.provider(""), format!("\ndata {body}\n")].concat();
    tf.write_main(&[&lookup(
        "\"jit_identity_center_user\" \"u\" {\n  user_name = \"nobody\"\n}",
    )]);
    let error = tf.plan_fails().error("No Identity Center user found");
    assert!(
        error.code.contains("user_name") && error.detail.contains("`nobody`"),
        "{error:?}"
    );

    tf.write_main(&[&lookup(
        "\"jit_identity_center_user\" \"u\" {\n  email = \"nobody@example.com\"\n}",
    )]);
    assert!(tf
        .plan_fails()
        .error("No Identity Center user found")
        .code
        .contains("email"));

    // moto accepts a second user with the same email (as some directories
    // synced by SCIM do): the lookup names both instead of picking one.
    let twin = make_user(aws, &store, "ada2", "ada@example.com");
    tf.write_main(&[&lookup(
        "\"jit_identity_center_user\" \"u\" {\n  email = \"ADA@example.com\"\n}",
    )]);
    let failed = tf.plan_fails();
    let error = failed.error("Several Identity Center users have this email");
    assert!(error.code.contains("email"));
    assert!(
        error.detail.contains(&format!("`ada` (id `{ada}`)"))
            && error.detail.contains(&format!("`ada2` (id `{twin}`)")),
        "{error:?}"
    );

    tf.write_main(&[&lookup(
        "\"jit_identity_center_user\" \"u\" {\n  user_name = \"ada\"\n  email     = \"ada@example.com\"\n}",
    )]);
    assert!(tf
        .plan_fails()
        .error("Set only one of `user_name` and `email`")
        .code
        .contains("email"));

    tf.write_main(&[&lookup(
        "\"jit_identity_center_group\" \"g\" {\n  name = \"kiro pro\"\n}",
    )]);
    let error = tf.plan_fails().error("No Identity Center group found");
    assert!(
        error.code.contains("name") && error.detail.contains("`kiro pro`"),
        "{error:?}"
    );
});

/// Copies the onboarding module into the case directory.
fn install_module(tf: &Tf) {
    let source = tests::tools::tools()
        .repo
        .join("modules/identity-center-onboarding");
    for file in ["main.tf", "variables.tf", "outputs.tf", "versions.tf"] {
        let text = std::fs::read_to_string(source.join(file)).unwrap();
        tf.write(&format!("modules/identity-center-onboarding/{file}"), &text);
    }
}

fn onboarding(people: &str, extra: &str) -> String {
    format!(
        "\nmodule \"onboarding\" {{\n  source = \"./modules/identity-center-onboarding\"\n\n  groups          = {{ \"Platform\" = {{ description = \"Platform team\" }} }}\n  existing_groups = [\"Kiro Pro\"]\n  default_groups  = [\"Kiro Pro\"]\n  people = [{people}\n  ]\n{extra}}}\n\noutput \"user_ids\" {{\n  value = module.onboarding.user_ids\n}}\n\noutput \"group_ids\" {{\n  value = module.onboarding.group_ids\n}}\n\noutput \"membership_ids\" {{\n  value = module.onboarding.membership_ids\n}}\n"
    )
}

const ADA: &str = "\n    { user_name = \"ada\", given_name = \"Ada\", family_name = \"Lovelace\", email = \"ada@example.com\" },";
const GRACE: &str = "\n    { user_name = \"grace\", given_name = \"Grace\", family_name = \"Hopper\", email = \"grace@example.com\", groups = [\"Kiro Pro\", \"Platform\"] },";

tests::tftest_latest!(identity_center_onboarding_module, |tf, aws| {
    let store = store(aws);
    let kiro = make_group(aws, &store, "Kiro Pro");
    install_module(tf);

    // Create: users, the owned group and memberships; the existing group is
    // looked up, not created.
    tf.write_main(&[&tf.provider(""), &onboarding(&format!("{ADA}{GRACE}"), "")]);
    tf.init();
    tf.apply();
    let users = tf.output("user_ids");
    let groups = tf.output("group_ids");
    let ada = users["ada"].as_str().unwrap().to_string();
    let grace = users["grace"].as_str().unwrap().to_string();
    assert_eq!(groups["Kiro Pro"], kiro);
    let platform = groups["Platform"].as_str().unwrap().to_string();
    assert_eq!(memberships(aws, &store, &kiro, &ada).len(), 1);
    assert_eq!(memberships(aws, &store, &kiro, &grace).len(), 1);
    assert_eq!(memberships(aws, &store, &platform, &grace).len(), 1);
    assert!(memberships(aws, &store, &platform, &ada).is_empty());
    let membership_ids = tf.output("membership_ids");
    assert_eq!(membership_ids.as_object().unwrap().len(), 3);
    assert_eq!(
        membership_ids["Platform/grace"],
        memberships(aws, &store, &platform, &grace)[0]
    );
    assert_eq!(
        tf.resource("module.onboarding.jit_identity_center_user.this[\"ada\"]")["display_name"],
        "Ada Lovelace"
    );
    tf.assert_plan_empty();

    // Onboarding one more person plans only that person and membership.
    let linus = "\n    { user_name = \"linus\", given_name = \"Linus\", family_name = \"T\", email = \"linus@example.com\", display_name = \"Linus\" },";
    tf.write_main(&[
        &tf.provider(""),
        &onboarding(&format!("{ADA}{GRACE}{linus}"), ""),
    ]);
    let mut actions = tf.plan_changes().actions();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            (
                "module.onboarding.jit_identity_center_group_membership.this[\"Kiro Pro/linus\"]"
                    .to_string(),
                vec!["create".to_string()]
            ),
            (
                "module.onboarding.jit_identity_center_user.this[\"linus\"]".to_string(),
                vec!["create".to_string()]
            ),
        ]
    );

    // Membership drift inside the module: recreated on the next apply.
    let removed = membership_ids["Kiro Pro/ada"].as_str().unwrap().to_string();
    aws.run(
        aws.clients
            .identity_store
            .delete_group_membership()
            .identity_store_id(&store)
            .membership_id(&removed)
            .send(),
    )
    .unwrap();
    tf.write_main(&[&tf.provider(""), &onboarding(&format!("{ADA}{GRACE}"), "")]);
    assert_eq!(
        tf.plan_changes().actions(),
        vec![(
            "module.onboarding.jit_identity_center_group_membership.this[\"Kiro Pro/ada\"]"
                .to_string(),
            vec!["create".to_string()]
        )]
    );
    tf.apply();
    assert_eq!(memberships(aws, &store, &kiro, &ada).len(), 1);

    // Bad input: a malformed email, a repeated email, a group the module
    // does not know.
    let bad = "\n    { user_name = \"bob\", given_name = \"Bob\", family_name = \"B\", email = \"bob.example.com\" },";
    tf.write_main(&[&tf.provider(""), &onboarding(&format!("{ADA}{bad}"), "")]);
    let failed = tf.plan_fails();
    assert!(
        failed.all().contains("Every email must look like"),
        "{}",
        failed.all()
    );
    let twin = "\n    { user_name = \"ada2\", given_name = \"Ada\", family_name = \"L\", email = \"ADA@example.com\" },";
    tf.write_main(&[&tf.provider(""), &onboarding(&format!("{ADA}{twin}"), "")]);
    assert!(tf
        .plan_fails()
        .all()
        .contains("Each email may appear only once"));
    let lost = "\n    { user_name = \"eve\", given_name = \"Eve\", family_name = \"E\", email = \"eve@example.com\", groups = [\"Nowhere\"] },";
    tf.write_main(&[&tf.provider(""), &onboarding(&format!("{ADA}{lost}"), "")]);
    assert!(tf
        .plan_fails()
        .all()
        .contains("Group `Nowhere` (for `eve`) is in neither `groups` nor `existing_groups`"));

    // Someone already in Identity Center with that email is not duplicated.
    make_user(aws, &store, "margaret", "margaret@example.com");
    let margaret = "\n    { user_name = \"mhamilton\", given_name = \"Margaret\", family_name = \"Hamilton\", email = \"margaret@example.com\" },";
    tf.write_main(&[
        &tf.provider(""),
        &onboarding(&format!("{ADA}{GRACE}{margaret}"), ""),
    ]);
    let failed = tf.apply_fails();
    failed.error("Email `margaret@example.com` already belongs to Identity Center user `margaret`");

    // Destroy: owned objects go, the existing group stays.
    tf.write_main(&[&tf.provider(""), &onboarding(&format!("{ADA}{GRACE}"), "")]);
    tf.destroy();
    assert!(group_exists(aws, &store, &kiro));
    assert!(!group_exists(aws, &store, &platform));
    assert!(!user_exists(aws, &store, &ada) && !user_exists(aws, &store, &grace));
    assert!(memberships(aws, &store, &kiro, &ada).is_empty());
});
