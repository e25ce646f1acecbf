#!/usr/bin/env bash
# Proves README's quick start on a clean machine: builds a fresh Debian 12 root with debootstrap
# (from the Debian archive this machine's apt uses), copies a `git clone` of this repository's
# committed HEAD into it, and runs README's two commands there exactly as written:
#   1. install + build + run: passes when the broker logs "spate ready" (then it is stopped);
#   2. the test command: passes when it exits 0 having printed "all test stages passed".
# Then it removes one test prerequisite (python3-lz4) and checks that scripts/preflight.sh fails
# naming that package. Prints each result with the time it took; exits 0 only if all three pass.
#
# Usage (as root): bash scripts/fresh-machine-check.sh [--root DIR] [--keep] [--deps-only]
#   --root DIR    where to build the clean root (default /var/tmp/spate-fresh-root; wiped first)
#   --keep        leave the root in place afterwards (it is wiped at the start of the next run);
#                 either way the commands' logs are kept in DIR.logs/
#   --deps-only   only the dependency half, in minutes rather than an hour: install-deps.sh then
#                 preflight.sh (which checks every row of scripts/prerequisites.txt) must pass in
#                 the clean root; for a change that adds prerequisites but no new kind of build.
# Uncommitted changes are not part of the check: it tests what a clone of HEAD would give a user.
# It downloads and builds everything (about an hour on two cores), so CI does not run it.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
root=/var/tmp/spate-fresh-root
keep=0
deps_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --deps-only) deps_only=1; shift ;;
    *) echo "usage: $0 [--root DIR] [--keep] [--deps-only]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "fresh-machine-check: run as root (debootstrap and chroot need it)" >&2; exit 2; }

# Mounts made for the chroot live in a private mount namespace and vanish with this process.
if [ -z "${SPATE_FRESH_CHECK_NS:-}" ]; then
  exec unshare --mount --propagation private env SPATE_FRESH_CHECK_NS=1 bash "$0" --root "$root" \
    $([ "$keep" = 1 ] && echo --keep) $([ "$deps_only" = 1 ] && echo --deps-only)
fi

say() { printf '\n[fresh-machine-check %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# README's two commands: the lines of the first ```sh block after "## Quick start" and of the next.
mapfile -t commands < <(awk '/^## Quick start/ { in_start = 1 } in_start && /^```sh/ { grab = 1; next }
  grab && /^```/ { grab = 0; next } grab && NF { print }' "$repo/README.md" | head -n 2)
[ ${#commands[@]} -eq 2 ] || { echo "fresh-machine-check: could not find README's two quick-start commands" >&2; exit 2; }

# The Debian archive (and security archive) this machine's apt already uses.
archive_for() { apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | awk -v r="$1" '$2 == r { print $1; exit }'; }
mirror="$(archive_for bookworm)"
security="$(archive_for bookworm-security)"
[ -n "$mirror" ] || { echo "fresh-machine-check: apt has no bookworm archive configured (run apt-get update)" >&2; exit 2; }

command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }

# Signals every process running inside the root (default KILL).
kill_root_processes() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill "-${1:-KILL}" "${p#/proc/}" 2>/dev/null || true
  done
}
# The commands' logs outlive the root (in $root.logs/), so a failure can be read after it is wiped.
cleanup() {
  kill_root_processes
  umount -R "$root/dev" "$root/proc" "$root/sys" 2>/dev/null || true
  rm -rf "$root.logs" && mkdir -p "$root.logs"
  cp "$root"/root/*.log "$root.logs/" 2>/dev/null || true
  [ "$keep" = 1 ] || rm -rf --one-file-system "$root"
}

say "clean Debian 12 root in $root from $mirror"
umount -R "$root/dev" "$root/proc" "$root/sys" 2>/dev/null || true
rm -rf --one-file-system "$root"
mkdir -p "$root" /var/cache/spate-fresh-debootstrap
trap cleanup EXIT
debootstrap --variant=minbase --cache-dir=/var/cache/spate-fresh-debootstrap bookworm "$root" "$mirror" \
  > "$root.debootstrap.log" 2>&1 || { tail -n 20 "$root.debootstrap.log"; exit 1; }
{
  echo "deb $mirror bookworm main"
  echo "deb $mirror bookworm-updates main"
  [ -n "$security" ] && echo "deb $security bookworm-security main"
} > "$root/etc/apt/sources.list"
# The network as this machine sees it: its resolver, and the local certificate authorities it
# trusts (picked up when install-deps installs ca-certificates), with the environment that points
# clients at them. These belong to the machine, not to the project.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi
machine_env=()
for v in $(compgen -e); do
  case "$v" in *_proxy|*_PROXY|SSL_CERT_*|NODE_EXTRA_CA_CERTS|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE) machine_env+=("$v=${!v}") ;; esac
done
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"

say "git clone of $(git -C "$repo" rev-parse --short HEAD) into /root/spate"
git clone --quiet --no-hardlinks "$repo" "$root/root/spate"

# Runs a command line in the root as a new root login would: clean environment, in the clone.
in_root() {
  printf 'cd /root/spate && %s\n' "$1" > "$root/root/command.sh"
  chroot "$root" /usr/bin/env -i "${machine_env[@]}" HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash /root/command.sh
}

if [ "$deps_only" = 1 ]; then
  say "dependencies only: scripts/install-deps.sh, then scripts/preflight.sh"
  start=$SECONDS
  deps_rc=0
  in_root "bash scripts/install-deps.sh && bash scripts/preflight.sh" > "$root/root/deps.log" 2>&1 < /dev/null || deps_rc=$?
  tail -n 5 "$root/root/deps.log"
  say "summary"
  if [ "$deps_rc" = 0 ]; then
    echo "dependencies: passed: install-deps and preflight exit 0 after $((SECONDS - start))s"
  else
    echo "dependencies: FAILED (exit $deps_rc) after $((SECONDS - start))s (log: $root.logs/deps.log)"
  fi
  exit "$deps_rc"
fi

# 1. Install, build and run: wait for the broker's ready line, then stop it.
say "README command 1: ${commands[0]}"
first_log="$root/root/first-command.log"
start=$SECONDS
in_root "${commands[0]}" > "$first_log" 2>&1 < /dev/null &
first_pid=$!
first_ok=0
while kill -0 "$first_pid" 2>/dev/null; do
  if grep -q "spate ready" "$first_log"; then first_ok=1; break; fi
  [ $((SECONDS - start)) -lt 5400 ] || break
  sleep 2
done
first_seconds=$((SECONDS - start))
kill_root_processes TERM
wait "$first_pid" 2>/dev/null || true
tail -n 5 "$first_log"
if [ "$first_ok" = 1 ]; then
  first_result="passed: '$(grep -m1 "spate ready" "$first_log" | cut -c1-160)' after ${first_seconds}s"
else
  first_result="FAILED after ${first_seconds}s (no 'spate ready'; log: $root.logs/first-command.log)"
fi
say "command 1 $first_result"
kill_root_processes

# 2. The test command, as written.
say "README command 2: ${commands[1]}"
start=$SECONDS
second_rc=0
in_root "${commands[1]} < /dev/null" > "$root/root/second-command.log" 2>&1 || second_rc=$?
second_seconds=$((SECONDS - start))
tail -n 25 "$root/root/second-command.log"
if [ "$second_rc" = 0 ] && grep -q "all test stages passed" "$root/root/second-command.log"; then
  second_result="passed: '$(grep -m1 "all test stages passed" "$root/root/second-command.log")' after ${second_seconds}s"
else
  second_result="FAILED (exit $second_rc) after ${second_seconds}s (log: $root.logs/second-command.log)"
fi
say "command 2 $second_result"
kill_root_processes

# 3. The preflight names a prerequisite that has gone missing.
say "preflight with python3-lz4 removed"
in_root "dpkg --remove python3-lz4 >/dev/null"
preflight_rc=0
preflight_out="$(in_root "bash scripts/preflight.sh" 2>&1)" || preflight_rc=$?
echo "$preflight_out"
if [ "$preflight_rc" != 0 ] && grep -q "python3-lz4" <<<"$preflight_out"; then
  preflight_result="passed: failed fast (exit $preflight_rc) naming python3-lz4"
else
  preflight_result="FAILED: preflight exit $preflight_rc did not name python3-lz4"
fi

say "summary"
echo "command 1 (install, build, run): $first_result"
echo "command 2 (test):                $second_result"
echo "preflight check:                 $preflight_result"
[ "$first_ok" = 1 ] && [[ "$second_result" == passed* ]] && [[ "$preflight_result" == passed* ]]
