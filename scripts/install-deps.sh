#!/usr/bin/env bash
# Installs every build, test and tooling dependency of spate from Debian 12's packages (the list is
# scripts/prerequisites.txt, which scripts/preflight.sh checks) and the kafkajs client from npm.
# Idempotent; run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

mapfile -t packages < <(awk '!/^#/ && NF >= 3 { print $3 }' scripts/prerequisites.txt | sort -u)
# node may come from elsewhere (a newer release than Debian's); keep it rather than fight it.
have_node=0
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then have_node=1; fi
missing=()
for p in "${packages[@]}"; do
  if [ "$have_node" = 1 ] && { [ "$p" = nodejs ] || [ "$p" = npm ]; }; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# kafkajs end-to-end tests: the pinned client from npm.
js_dir="tests/e2e/js"
if [ ! -d "$js_dir/node_modules/kafkajs" ]; then
  npm ci --prefix "$js_dir" --no-audit --no-fund
fi
