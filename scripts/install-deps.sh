#!/usr/bin/env bash
# Installs every build, test and tooling dependency of spate from Debian 12's packages.
# Idempotent; run as root (or with sudo available).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
packages=(
  # build
  build-essential cmake ninja-build ccache mold pkg-config python3
  # libraries
  libboost-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev librdkafka-dev libsqlite3-dev
  # tests
  libgtest-dev libgmock-dev clang-14 libclang-rt-14-dev lld-14
  python3-pytest python3-confluent-kafka python3-kafka kcat
  # benchmarks (bench/)
  fio iperf3 linux-perf
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# kafkajs end-to-end tests: Node (Debian's packages only when node is missing) and the pinned client.
if ! command -v node >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
js_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e/js"
if [ ! -d "$js_dir/node_modules" ]; then
  npm ci --prefix "$js_dir" --no-audit --no-fund
fi
