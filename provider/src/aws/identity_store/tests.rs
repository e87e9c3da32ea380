//! Unit tests of the identity-store layer: id shapes, principal kinds,
//! emails, update encoding and error mapping.

use aws_sdk_identitystore::types::Email;
use aws_smithy_types::Document;

use super::change::{expand_updates, text_document};
use super::*;

#[test]
fn ids_are_told_from_names() {
    for id in [
        "86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
        "9067e1c2a4-86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
        "86702138-3CA5-4AFF-9BF9-2AEFBFAA3BF6",
        "906700e5-1234-4abc-8def-0123456789ab",
        "9067b2a1c3-906700e5-1234-4abc-8def-0123456789ab",
        "A1B2C3D4-5678-90AB-CDEF-000000011111",
    ] {
        assert!(is_identity_id(id), "{id}");
    }
    for name in [
        "alice",
        "alice@example.com",
        "Oncall",
        "Kiro Pro",
        "",
        "86702138-3ca5-4aff-9bf9-2aefbfaa3bf",
        "86702138-3ca5-4aff-9bf9-2aefbfaa3bf6-x",
        "9067e1c2a-86702138-3ca5-4aff-9bf9-2aefbfaa3bf6",
        "zzzzzzzz-3ca5-4aff-9bf9-2aefbfaa3bf6",
        "906700e5_1234_4abc_8def_0123456789ab",
        "zz67b2a1c3-906700e5-1234-4abc-8def-0123456789ab",
        "906700e5-12345-abc-8def-0123456789ab",
    ] {
        assert!(!is_identity_id(name), "{name}");
    }
}

#[test]
fn principal_kinds_round_trip() {
    for kind in [PrincipalKind::User, PrincipalKind::Group] {
        assert_eq!(PrincipalKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(PrincipalKind::parse("ROLE"), None);
    assert_eq!(PrincipalKind::parse("user"), None);
}

#[test]
fn primary_email_wins_else_first() {
    let plain = |value: &str| Email::builder().value(value).build();
    let primary = Email::builder()
        .value("b@example.com")
        .primary(true)
        .build();
    assert_eq!(
        primary_email(&[plain("a@example.com"), primary]),
        Some("b@example.com".to_string())
    );
    assert_eq!(
        primary_email(&[Email::builder().build(), plain("a@example.com")]),
        Some("a@example.com".to_string())
    );
    assert_eq!(primary_email(&[]), None);
}

#[test]
fn users_are_named_by_user_name_and_emails() {
    let user = User {
        user_name: "ada".into(),
        emails: vec!["Ada@Example.com".into(), "ada@example.org".into()],
        ..Default::default()
    };
    assert!(user.has_email("ada@example.com"));
    assert!(!user.has_email("bob@example.com"));
    assert_eq!(
        user.identities(),
        ["ada", "Ada@Example.com", "ada@example.org"]
    );
    let nameless = User {
        emails: vec!["x@example.com".into()],
        ..Default::default()
    };
    assert_eq!(nameless.identities(), ["x@example.com"]);
}

#[test]
fn updates_send_aws_paths_and_whole_email_lists() {
    let operations = expand_updates(
        "UpdateUser",
        &[
            AttributeUpdate {
                path: "name.givenName",
                value: AttributeValue::Text(Some("Augusta".into())),
            },
            AttributeUpdate {
                path: "description",
                value: AttributeValue::Text(Some(String::new())),
            },
            AttributeUpdate {
                path: "emails",
                value: AttributeValue::PrimaryEmail("a@example.com".into()),
            },
        ],
    )
    .unwrap();
    let paths: Vec<_> = operations.iter().map(|o| o.attribute_path()).collect();
    assert_eq!(paths, ["name.givenName", "description", "emails"]);
    assert_eq!(
        operations[0].attribute_value(),
        Some(&Document::String("Augusta".into()))
    );
    // AWS refuses empty strings: an empty value removes the attribute.
    assert_eq!(operations[1].attribute_value(), Some(&Document::Null));
    // AWS refuses `emails[0].value`: the multi-valued attribute is
    // replaced whole, with lower-case SCIM keys.
    let Some(Document::Array(items)) = operations[2].attribute_value() else {
        panic!("not a list");
    };
    assert_eq!(items.len(), 1);
    let Document::Object(fields) = &items[0] else {
        panic!("not an object");
    };
    assert_eq!(fields["value"], Document::String("a@example.com".into()));
    assert_eq!(fields["type"], Document::String("work".into()));
    assert_eq!(fields["primary"], Document::Bool(true));
    assert_eq!(text_document(None), Document::Null);
}

#[test]
fn bare_server_errors_name_their_status() {
    let bare = Error::Aws {
        service: "identitystore",
        operation: "UpdateUser",
        code: None,
        message: "no message".into(),
        request_id: None,
    };
    let message = with_status(bare, Some(500)).to_string();
    assert!(
        message.contains("HTTP 500 without an error code"),
        "{message}"
    );
    assert!(message.contains("`UpdateUser`"), "{message}");
    let coded = Error::Aws {
        service: "identitystore",
        operation: "CreateUser",
        code: Some("ConflictException".into()),
        message: "Duplicate UserName".into(),
        request_id: None,
    };
    assert_eq!(
        with_status(coded, Some(409)).to_string(),
        "AWS identitystore CreateUser failed: Duplicate UserName"
    );
}
