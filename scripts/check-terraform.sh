#!/usr/bin/env bash
# Checks every Terraform root and module under terraform/:
#   1. terraform fmt -check -recursive
#   2. tfcheck (terraform/tools/tfcheck): its own tests, then structural
#      checks of every module (HCL parse, references, module wiring,
#      pinned providers, typed/validated variables, sensitive outputs,
#      README tables). Runs everywhere; needs Go.
#   3. terraform init -backend=false + terraform validate against the real
#      provider schemas, for each module whose providers can be installed:
#      - CHECK_TERRAFORM_ONLINE=1: from the public registry (GitHub Actions);
#      - otherwise offline, from the filesystem mirror in $PROVIDER_MIRROR
#        (fill it with `terraform providers mirror` on a connected machine).
#      A module whose providers are missing is reported as NOT validated
#      against provider schemas; CHECK_TERRAFORM_REQUIRE_SCHEMA=1 makes that
#      a failure (CI with registry access sets it).
# Idempotent; safe to rerun. Exit status is non-zero on any failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TF_DIR="$ROOT/terraform"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/webhook-relay"
PROVIDER_MIRROR="${PROVIDER_MIRROR:-$CACHE/terraform-providers}"
TERRAFORM_VERSION_WANTED="1.11.4"
MODULES=(modules/local modules/aws envs/local envs/aws bootstrap)

say() { printf '\n== %s\n' "$*"; }

if ! command -v terraform >/dev/null 2>&1; then
  # terraform cannot be `go install`ed: its go.mod has replace directives and
  # its nested backend modules are not in the module zip. Fail loudly.
  echo "terraform not found on PATH; install terraform ${TERRAFORM_VERSION_WANTED}" >&2
  exit 1
fi
if ! command -v go >/dev/null 2>&1; then
  echo "go not found on PATH; tfcheck needs Go (see terraform/tools/tfcheck/go.mod)" >&2
  exit 1
fi

# A CLI config of our own, so no ~/.terraformrc on the machine changes what
# init may fetch, and offline init looks only at the mirror.
mkdir -p "$PROVIDER_MIRROR" "$CACHE/terraform-plugin-cache"
TF_CLI_CONFIG_FILE="$CACHE/terraformrc"
export TF_CLI_CONFIG_FILE
if [[ "${CHECK_TERRAFORM_ONLINE:-0}" == 1 ]]; then
  printf 'plugin_cache_dir = "%s"\n' "$CACHE/terraform-plugin-cache" >"$TF_CLI_CONFIG_FILE"
else
  cat >"$TF_CLI_CONFIG_FILE" <<CONF
provider_installation {
  filesystem_mirror {
    path = "$PROVIDER_MIRROR"
  }
}
CONF
fi
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

say "terraform $(terraform version | head -n1 | cut -d' ' -f2): fmt -check -recursive"
terraform fmt -check -recursive -diff "$TF_DIR"

say "tfcheck: self-test, then structural checks"
(cd "$TF_DIR/tools/tfcheck" && go test ./... && go build -o "$CACHE/bin/tfcheck" .)
(cd "$TF_DIR" && "$CACHE/bin/tfcheck" "${MODULES[@]}")

say "terraform validate against provider schemas"
validated=()
not_validated=()
for dir in "${MODULES[@]}"; do
  work="$(mktemp -d)"
  # Init writes .terraform/ and a lock file; do it in a copy so the work
  # tree stays clean. Modules referenced as ../../modules/x need the layout.
  cp -r "$TF_DIR/." "$work/"
  rm -rf "$work/$dir/.terraform" "$work/$dir/.terraform.lock.hcl"
  if init_log="$(terraform -chdir="$work/$dir" init -backend=false -input=false -no-color 2>&1)"; then
    if terraform -chdir="$work/$dir" validate -no-color; then
      validated+=("$dir")
    else
      rm -rf "$work"
      echo "terraform validate FAILED in $dir" >&2
      exit 1
    fi
  else
    missing="$(grep -oE 'provider [a-z.]+/[a-z0-9-]+/[a-z0-9-]+' <<<"$init_log" | sort -u | sed 's/^provider //' | paste -sd, - || true)"
    not_validated+=("$dir (providers not installable here: ${missing:-see init output})")
  fi
  rm -rf "$work"
done

say "summary"
for dir in "${validated[@]+"${validated[@]}"}"; do
  echo "validated against real provider schemas: $dir"
done
for item in "${not_validated[@]+"${not_validated[@]}"}"; do
  echo "NOT validated against provider schemas (fmt + tfcheck only): $item"
done
if ((${#not_validated[@]} > 0)) && [[ "${CHECK_TERRAFORM_REQUIRE_SCHEMA:-0}" == 1 ]]; then
  echo "CHECK_TERRAFORM_REQUIRE_SCHEMA=1 and ${#not_validated[@]} module(s) were not schema-validated" >&2
  exit 1
fi
echo "terraform checks passed"
