#!/usr/bin/env bash
# The demo: set up, build the provider, start the local AWS emulator (moto),
# then terraform init / plan / apply, each part on a fresh emulator:
#   1. examples/quickstart: standing groups of dev, staging and prod;
#   2. environments/staging through modules/env-access;
#   3. examples/demo/access: an Identity Center user, a one-hour grant with
#      its expiry lease, and an IAM user blocked, then restored;
# and ends with `audit verify` and `audit report --format markdown` of the
# audit log all of it wrote.
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

run() {
    echo
    echo "\$ terraform $*"
    "$TF" "$@"
}
part() {
    echo
    echo "================================================================"
    echo "demo.sh: $*"
    echo "================================================================"
}
reset_emulator() {
    "$PY" -c 'import os, urllib.request as u; u.urlopen(u.Request(os.environ["AWS_ENDPOINT_URL"] + "/moto-api/reset", method="POST"))' 
}
PY="$REPO/.tools/venv/bin/python"

part "1/3 quickstart: standing groups of dev, staging and prod from the policy library"
cd "$WORK/quickstart"
run init -no-color
run plan -no-color -var "endpoint_url=$AWS_ENDPOINT_URL" -out=tfplan
run apply -no-color tfplan
run plan -no-color -detailed-exitcode -var "endpoint_url=$AWS_ENDPOINT_URL"

part "2/3 environments/staging through modules/env-access (its terraform.tfvars.example)"
reset_emulator
mkdir -p "$WORK/env"
cp -r "$REPO/environments" "$REPO/modules" "$WORK/env/"
cd "$WORK/env/environments/staging"
cp terraform.tfvars.example terraform.tfvars
# Point the committed provider block at the emulator without editing it.
printf 'provider "jit" {\n  endpoint_url = "%s"\n}\n' "$AWS_ENDPOINT_URL" > provider_override.tf
run init -no-color
run apply -no-color -auto-approve
run output -no-color access_review_findings
run plan -no-color -detailed-exitcode

part "3/3 onboard a user, grant one hour of access that AWS removes at expiry, block and restore an IAM user"
reset_emulator
"$PY" "$REPO/scripts/demo_fixtures.py" setup
"$PY" "$REPO/scripts/demo_fixtures.py" show-iam
cp -r "$REPO/examples/demo/access" "$WORK/access"
cd "$WORK/access"
run init -no-color
run apply -no-color -auto-approve -var "endpoint_url=$AWS_ENDPOINT_URL"
"$PY" "$REPO/scripts/demo_fixtures.py" show-iam
"$PY" "$REPO/scripts/demo_fixtures.py" show-sso
run plan -no-color -detailed-exitcode -var "endpoint_url=$AWS_ENDPOINT_URL"
echo
echo "demo.sh: restore mallory (the block is removed from the configuration)"
run apply -no-color -auto-approve -var "endpoint_url=$AWS_ENDPOINT_URL" -var block_mallory=false
"$PY" "$REPO/scripts/demo_fixtures.py" show-iam
echo
echo "demo.sh: the audit log every change wrote ($JIT_AUDIT_LOG), first 160 characters of each line:"
cut -c1-160 "$JIT_AUDIT_LOG"

part "the evidence: the audit log's hash chain verified, and the change log rendered from it"
JIT="$REPO/target/debug/terraform-provider-jit"
cd "$WORK"
echo
echo "\$ terraform-provider-jit audit verify audit.jsonl"
"$JIT" audit verify audit.jsonl
echo
echo "\$ terraform-provider-jit audit report --format markdown audit.jsonl"
"$JIT" audit report --format markdown audit.jsonl
echo
echo "demo.sh: done; every plan after apply was empty, and the audit log is intact."
