#!/usr/bin/env bash
# Style checks on what changed since .clang-format was added (LINT_BASE overrides): clang-format
# (.clang-format) on the changed lines, and clang-tidy (.clang-tidy's checks) on the changed .cc
# files under src/. Exits non-zero on a finding.
#
# Why only the changes: the tree predates .clang-format and is not clean under any one format (parts
# were wrapped at 100 columns, parts at 120), and reformatting it all would collide with everyone's
# work. clang-tidy over all of src/ costs about nine CPU-minutes (~6 s a file with the Asio
# coroutine headers): over four minutes on two idle cores, far more on a shared machine; so only
# the changed files by default, LINT_TIDY_ALL=1 for all of src/. Headers are checked through the
# changed .cc files that include them (HeaderFilterRegex).
#
# clang-tidy reads build/compile_commands.json: the build (scripts/test.sh's first build) must exist.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything changed since .clang-format arrived must follow it (so the checked part of the tree only
# grows); LINT_BASE=<rev> checks only the changes since that revision instead.
if [ -n "${LINT_BASE:-}" ]; then
  base_ref=$LINT_BASE
else
  added=$(git log --diff-filter=A --format=%H -- .clang-format | tail -n 1)
  [ -n "$added" ] || { echo "lint: cannot find the commit that added .clang-format (shallow clone?)"; exit 1; }
  base_ref="$added^"
fi
base=$(git merge-base HEAD "$base_ref")

# Tracked files changed since the merge base (committed or not), and new untracked ones.
mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- '*.cc' '*.h'
                       git ls-files --others --exclude-standard -- '*.cc' '*.h')
echo "lint: ${#changed[@]} changed C++ files against $(git rev-parse --short "$base") ($base_ref)"

status=0

# clang-format: only the changed lines of a tracked file; all of a new one.
for file in "${changed[@]}"; do
  lines=()
  if git ls-files --error-unmatch "$file" >/dev/null 2>&1 && git cat-file -e "$base:$file" 2>/dev/null; then
    while read -r start count; do
      [ "$count" -eq 0 ] && continue
      lines+=("--lines=$start:$((start + count - 1))")
    done < <(git diff -U0 --no-color "$base" -- "$file" |
             sed -n 's/^@@ -[0-9,]* +\([0-9]*\)\(,\([0-9]*\)\)\{0,1\} @@.*/\1 \3/p' |
             awk '{ print $1, ($2 == "" ? 1 : $2) }')
    [ "${#lines[@]}" -eq 0 ] && continue
  fi
  clang-format-14 --dry-run --Werror "${lines[@]}" "$file" || status=1
done

# clang-tidy: the changed sources under src/, with the defines the clang build gets for Asio's
# coroutines (cmake/toolchain.cmake) since compile_commands.json may come from a GCC build.
if [ "${LINT_TIDY_ALL:-0}" = 1 ]; then
  mapfile -t sources < <(git ls-files 'src/*.cc')
else
  mapfile -t sources < <(printf '%s\n' "${changed[@]}" | grep '^src/.*\.cc$' || true)
fi
if [ "${#sources[@]}" -gt 0 ]; then
  [ -f build/compile_commands.json ] || { echo "lint: build/compile_commands.json missing: build first"; exit 1; }
  echo "lint: clang-tidy on ${#sources[@]} files"
  printf '%s\n' "${sources[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy-14 -p build --quiet \
      --extra-arg=-DBOOST_ASIO_HAS_CO_AWAIT=1 --extra-arg=-DBOOST_ASIO_HAS_STD_COROUTINE=1 \
      --extra-arg=-Wno-unknown-warning-option || status=1
fi

[ "$status" -eq 0 ] && echo "lint: ok"
exit "$status"
