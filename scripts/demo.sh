#!/usr/bin/env bash
# The demo: set up, build the provider, start the local AWS emulator, then
# terraform init / plan / apply examples/quickstart and print its outputs.
# Everything runs on this machine; the emulator is stopped at the end.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

bash scripts/setup.sh

echo "demo.sh: building the provider"
cargo build --quiet -p terraform-provider-jit --bin terraform-provider-jit
VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"

WORK="$REPO/target/demo"
rm -rf "$WORK"
mkdir -p "$WORK"
MIRROR="$WORK/mirror/registry.terraform.io/jit-access/jit/$VERSION/linux_amd64"
mkdir -p "$MIRROR"
cp target/debug/terraform-provider-jit "$MIRROR/terraform-provider-jit_v$VERSION"
cat > "$WORK/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$WORK/mirror"
    include = ["registry.terraform.io/jit-access/jit"]
  }
  direct {
    exclude = ["registry.terraform.io/jit-access/jit"]
  }
}
RC

# shellcheck source=scripts/moto.sh
source scripts/moto.sh
moto_start "$WORK" >/dev/null
trap moto_cleanup EXIT
echo "demo.sh: AWS emulator (moto) listening on $AWS_ENDPOINT_URL"

export TF_CLI_CONFIG_FILE="$WORK/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
export JIT_AUDIT_LOG="$WORK/audit.jsonl"
export AWS_EC2_METADATA_DISABLED=true
TF="$REPO/.tools/bin/terraform-1.15.5"
cp -r examples/quickstart "$WORK/quickstart"
cd "$WORK/quickstart"

run() {
    echo
    echo "\$ terraform $*"
    "$TF" "$@"
}
run init -no-color
run plan -no-color -var "endpoint_url=$AWS_ENDPOINT_URL" -out=tfplan
run apply -no-color tfplan
run output -no-color
run plan -no-color -detailed-exitcode -var "endpoint_url=$AWS_ENDPOINT_URL"
echo
echo "demo.sh: applied; the plan after apply is empty. State: $WORK/quickstart/terraform.tfstate"
