#!/usr/bin/env bash
# Checks that every prerequisite in scripts/prerequisites.txt is present and names the Debian
# package that provides each missing one. Exits 1 if anything is missing. Fast: nothing is built.
set -uo pipefail
cd "$(dirname "$0")/.."

present() {
  local kind=$1 what=$2
  case "$kind" in
    command)   command -v "$what" >/dev/null 2>&1 ;;
    file)      [ -e "$what" ] ;;
    header)    [ -e "/usr/include/$what" ] ;;
    cmake)     [ -e "/usr/$what" ] ;;
    pkgconfig) pkg-config --exists "$what" 2>/dev/null ;;
    python)    /usr/bin/python3 -c "import $what" >/dev/null 2>&1 ;;
    *) echo "preflight: unknown kind '$kind' in scripts/prerequisites.txt" >&2; return 1 ;;
  esac
}

missing=0
while read -r kind what package _; do
  case "$kind" in ''|'#'*) continue ;; esac
  if ! present "$kind" "$what"; then
    echo "preflight: missing $kind '$what': install Debian package $package (bash scripts/install-deps.sh)"
    missing=$((missing + 1))
  fi
done < scripts/prerequisites.txt
if [ ! -e tests/e2e/js/node_modules/kafkajs/package.json ]; then
  echo "preflight: missing npm package kafkajs: run 'npm ci --prefix tests/e2e/js' (bash scripts/install-deps.sh)"
  missing=$((missing + 1))
fi
if [ "$missing" -gt 0 ]; then
  echo "preflight: $missing prerequisite(s) missing"
  exit 1
fi
echo "preflight: all prerequisites present"
