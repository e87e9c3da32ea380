//! Identity Center users, groups and memberships whose create answer is
//! lost: the SDK retries, AWS answers `ConflictException`, and the create
//! takes the object only when AWS dates it within the call and it is as
//! configured. A rival's object is refused with its import command.

use super::*;
use aws_sdk_identitystore::types::{Email, Name};
use tests::TfOutput;

use crate::identity_center::{
    group_exists, group_hcl, membership_hcl, memberships, moto_port, store, user_exists, user_hcl,
};

const USER: &str = "jit_identity_center_user.u";
const GROUP: &str = "jit_identity_center_group.g";
const MEMBERSHIP: &str = "jit_identity_center_group_membership.m";

fn identity_store_op(name: &str) -> Match {
    Match::op(name).in_service("identitystore")
}

/// Ids of the users named `user_name` (AWS keeps one; a second would be a
/// duplicate the provider made).
fn users_named(aws: &Aws, store: &str, user_name: &str) -> Vec<String> {
    aws.run(
        aws.clients
            .identity_store
            .list_users()
            .identity_store_id(store)
            .send(),
    )
    .unwrap()
    .users()
    .iter()
    .filter(|user| user.user_name() == Some(user_name))
    .map(|user| user.user_id().to_string())
    .collect()
}

tftest!(
    faults_identity_center_lost_create_answers_are_taken,
    |tf, aws| {
        let store = store(aws);
        let proxy = Proxy::start(moto_port(aws));
        for op in ["CreateUser", "CreateGroup", "CreateGroupMembership"] {
            proxy.inject(identity_store_op(op), When::first(1), Fault::LoseResponse);
        }
        let user_name = format!("{}-ada", tf.prefix);
        let group_name = format!("{} Oncall", tf.prefix);
        tf.write_main(&[
            &tf.provider("").replace(&tf.endpoint, &proxy.endpoint()),
            &user_hcl(
                "u",
                &user_name,
                &format!("{}.ada@example.com", tf.prefix),
                "",
            ),
            &group_hcl(&group_name, "  description = \"Paged at night\"\n"),
            &membership_hcl(
                "jit_identity_center_group.g.group_id",
                "jit_identity_center_user.u.user_id",
            ),
        ]);
        tf.init();
        tf.apply();

        // Each create was sent twice (the first answer lost) and made one object,
        // the one in state.
        for op in ["CreateUser", "CreateGroup", "CreateGroupMembership"] {
            assert_eq!(proxy.count(&identity_store_op(op)), 2, "{op}");
        }
        let user_id = tf.resource(USER)["user_id"].as_str().unwrap().to_string();
        let group_id = tf.resource(GROUP)["group_id"].as_str().unwrap().to_string();
        assert_eq!(users_named(aws, &store, &user_name), [user_id.as_str()]);
        assert!(group_exists(aws, &store, &group_id));
        assert_eq!(
            memberships(aws, &store, &group_id, &user_id),
            [tf.resource(MEMBERSHIP)["membership_id"]
                .as_str()
                .unwrap()
                .to_string()]
        );
        let created: Vec<_> = tf
            .audit_events()
            .into_iter()
            .filter(|e| e["action"].as_str().is_some_and(|a| a.ends_with(".create")))
            .map(|e| {
                format!(
                    "{} {}",
                    e["action"].as_str().unwrap(),
                    e["result"].as_str().unwrap()
                )
            })
            .collect();
        for action in ["user", "group", "group_membership"] {
            let success = format!("identity_center_{action}.create success");
            assert!(created.contains(&success), "{created:?}");
        }
        tf.assert_plan_empty();

        tf.destroy();
        assert!(users_named(aws, &store, &user_name).is_empty());
        assert!(!group_exists(aws, &store, &group_id));
    }
);

tftest!(
    faults_identity_center_rival_user_made_during_the_create_is_refused,
    |tf, aws| {
        // Someone creates the same user (same attributes) outside Terraform
        // between the provider's duplicate check and its create: AWS answers
        // the create with a conflict, and the user is not dated within the call
        // (it was not made by this create), so it is refused, never taken.
        let store = store(aws);
        let proxy = Proxy::start(moto_port(aws));
        let user_name = format!("{}-ada", tf.prefix);
        let email = format!("{}.ada@example.com", tf.prefix);
        let rival = Aws::new(&aws.endpoint);
        let (rival_store, rival_name, rival_email) =
            (store.clone(), user_name.clone(), email.clone());
        proxy.on_call(identity_store_op("CreateUser"), 1, move |_| {
            rival
                .run(
                    rival
                        .clients
                        .identity_store
                        .create_user()
                        .identity_store_id(&rival_store)
                        .user_name(&rival_name)
                        .display_name("Ada Lovelace")
                        .name(
                            Name::builder()
                                .given_name("Ada")
                                .family_name("Lovelace")
                                .build(),
                        )
                        .emails(
                            Email::builder()
                                .value(&rival_email)
                                .r#type("work")
                                .primary(true)
                                .build(),
                        )
                        .send(),
                )
                .unwrap();
        });
        tf.write_main(&[
            &tf.provider("").replace(&tf.endpoint, &proxy.endpoint()),
            &user_hcl("u", &user_name, &email, ""),
        ]);
        tf.init();
        let failed = tf.apply_fails();
        let error = failed.error(&format!(
            "Identity Center user `{user_name}` already exists"
        ));
        let rival_id = users_named(aws, &store, &user_name);
        assert_eq!(rival_id.len(), 1, "one user, the rival's");
        assert!(error.detail.contains(&rival_id[0]), "{}", error.detail);
        assert!(
            error.detail.contains("terraform import"),
            "{}",
            error.detail
        );
        assert!(!tf.has_resource(USER), "nothing in state");
        assert!(user_exists(aws, &store, &rival_id[0]));
        let events = tf.audit_events();
        assert!(
            events
                .iter()
                .any(|e| e["action"] == "identity_center_user.create" && e["result"] == "failure"),
            "{events:?}"
        );
    }
);

tftest!(
    faults_identity_center_two_workspaces_create_one_user_at_once,
    |tf, aws| {
        // Two workspaces declare the same user; both pass the duplicate check
        // before either creates (the proxy holds each CreateUser 2 s). The
        // identity store makes one; the other create is answered with a
        // conflict at its first attempt: that user is another's, never taken.
        let store = store(aws);
        let proxy = Proxy::start(moto_port(aws));
        proxy.inject(
            identity_store_op("CreateUser"),
            When::first(2),
            Fault::Delay(Duration::from_secs(2)),
        );
        let user_name = format!("{}-ada", tf.prefix);
        let config = [
            tf.provider("").replace(&tf.endpoint, &proxy.endpoint()),
            user_hcl(
                "u",
                &user_name,
                &format!("{}.ada@example.com", tf.prefix),
                "",
            ),
        ]
        .concat();
        let other = tf.sibling("b");
        for ws in [tf, &other] {
            ws.write_main(&[&config]);
            ws.init();
        }
        let args = ["apply", "-auto-approve", "-no-color", "-json"];
        let outputs: Vec<TfOutput> = std::thread::scope(|s| {
            let runs = [s.spawn(|| tf.run(&args)), s.spawn(|| other.run(&args))];
            runs.map(|run| run.join().unwrap()).into()
        });
        assert_eq!(proxy.count(&identity_store_op("CreateUser")), 2);
        let users = users_named(aws, &store, &user_name);
        assert_eq!(users.len(), 1, "one user made");
        let (won, lost): (Vec<_>, Vec<_>) = [tf, &other]
            .into_iter()
            .zip(&outputs)
            .partition(|(_, output)| output.success());
        assert_eq!((won.len(), lost.len()), (1, 1), "{outputs:#?}");
        let (winner, _) = won[0];
        let (loser, failed) = lost[0];
        assert_eq!(winner.resource(USER)["user_id"], users[0].as_str());
        let error = failed.error(&format!(
            "Identity Center user `{user_name}` already exists"
        ));
        assert!(error.detail.contains(&users[0]), "{}", error.detail);
        assert!(!loser.has_resource(USER));
        winner.assert_plan_empty();
        winner.destroy();
        assert!(users_named(aws, &store, &user_name).is_empty());
        let _ = std::fs::remove_dir_all(&other.dir);
    }
);
