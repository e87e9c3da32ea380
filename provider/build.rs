//! Generates the audit event types from the project's own protobuf contract.

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=../proto/jit/audit/v1/event.proto");
    prost_build::Config::new()
        .type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")
        .type_attribute(".", "#[serde(rename_all = \"camelCase\", default)]")
        // Fields added after v1's first release are left out while empty, so
        // events of features not in use read as they did before.
        .field_attribute(
            "AuditEvent.verified_approvers",
            "#[serde(skip_serializing_if = \"Vec::is_empty\")]",
        )
        .field_attribute(
            "AuditEvent.change_ref",
            "#[serde(skip_serializing_if = \"String::is_empty\")]",
        )
        .field_attribute(
            "AuditEvent.commit_sha",
            "#[serde(skip_serializing_if = \"String::is_empty\")]",
        )
        .field_attribute(
            "AuditEvent.ci_run",
            "#[serde(skip_serializing_if = \"String::is_empty\")]",
        )
        .field_attribute(
            "AuditEvent.actor_id",
            "#[serde(skip_serializing_if = \"String::is_empty\")]",
        )
        .field_attribute(
            "AuditEvent.prev_hash",
            "#[serde(skip_serializing_if = \"String::is_empty\")]",
        )
        .compile_protos(&["../proto/jit/audit/v1/event.proto"], &["../proto"])
}
