#!/usr/bin/env bash
# The issue-2 benchmark set against a release build: produce 100-byte records
# (acks=1) and 1 KiB records (acks=all) to 6 partitions and to 1, consume both,
# end-to-end latency, broker CPU time and RSS, and cold start.
# Usage: scripts/bench.sh [records_100b] [records_1k]
set -euo pipefail
cd "$(dirname "$0")/.."
N100="${1:-5000000}"
N1K="${2:-2000000}"
PORT="${KAVKA_BENCH_PORT:-19092}"
cargo build --release -p kavka >&2
BIN="${CARGO_TARGET_DIR:-target}/release/kavka"
DATA="$(mktemp -d)"
trap 'kill "$BROKER" 2>/dev/null || true; rm -rf "$DATA"' EXIT
"$BIN" serve --set "log.dirs=$DATA" --set "listeners=PLAINTEXT://127.0.0.1:$PORT" 2>"$DATA.log" &
BROKER=$!
sleep 0.5
export KAVKA_BOOTSTRAP_SERVER="127.0.0.1:$PORT"
cpu() { awk '{print $14+$15}' "/proc/$BROKER/stat"; }
rss() { awk '/VmRSS/{print $2/1024 " MB"}' "/proc/$BROKER/status"; }
echo "idle broker RSS: $(rss)"
run() {
    local t0 t1
    t0=$(cpu)
    "$BIN" bench "$@" 2>&1 | grep -v '^{' | tail -3 | grep -v 'of .* records' || true
    t1=$(cpu)
    echo "    broker CPU: $(( (t1 - t0) * 10 )) ms, RSS $(rss)"
}
echo "== produce 100 B, acks=1";   run produce --topic b100-6 --partitions 6 --records "$N100" --record-size 100 --acks 1
run produce --topic b100-1 --partitions 1 --records "$N100" --record-size 100 --acks 1
echo "== produce 1 KiB, acks=all"; run produce --topic b1k-6 --partitions 6 --records "$N1K" --record-size 1024 --acks all
run produce --topic b1k-1 --partitions 1 --records "$N1K" --record-size 1024 --acks all
echo "== consume"
for t in b100-6 b100-1 b1k-6 b1k-1; do run consume --topic "$t"; done
echo "== end-to-end latency (fetch.wait.max.ms=500)"; run e2e --topic e2e --records 10000
echo "peak broker RSS: $(awk '/VmHWM/{print $2/1024 " MB"}' "/proc/$BROKER/status")"
