//! Generates the audit event types from the project's own protobuf contract.

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=../proto/jit/audit/v1/event.proto");
    prost_build::Config::new()
        .type_attribute(".", "#[derive(serde::Serialize, serde::Deserialize)]")
        .type_attribute(".", "#[serde(rename_all = \"camelCase\", default)]")
        .compile_protos(&["../proto/jit/audit/v1/event.proto"], &["../proto"])
}
