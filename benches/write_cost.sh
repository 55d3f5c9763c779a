#!/usr/bin/env bash
# The cost of one write command against the cost of one durable 4 KiB write
# on the same disk (issue 2's performance note; target in issue 5: ≤ 3×).
#
#   bash benches/write_cost.sh [RUNS] [DIR]
#
# Prints the median of RUNS runs of each (taken in turns), their ratio, and (with strace) the
# fsyncs one `drive log` makes. DIR should be on the disk the ledger lives on.
set -euo pipefail
runs=${1:-200}
dir=${2:-$(mktemp -d)}
cd "$(dirname "$0")/.."
cargo build --release --quiet
# .cargo/config.toml builds for the host tuple, under target/<tuple>/.
bin=$PWD/target/$(rustc -vV | sed -n 's/^host: //p')/release/bloodledger
export BLOODLEDGER_DB=$dir/bench.db BLOODLEDGER_TODAY=2026-11-25
rm -f "$dir"/bench.db*
"$bin" -q facility add h --name Hospital

median_ms() { sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1e6}'; }
time_ns() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $((e - s)); }

# In turns, so that a busier stretch of the disk weighs on both alike.
times=$(mktemp)
for i in $(seq 1 "$runs"); do
  echo "log $(time_ns "$bin" -q drive log "d$i" --date 2021-07-10 --registered 978 --collected 838 --deferred 140 --transferred 838 --to h)"
  echo "dd $(time_ns dd if=/dev/zero of="$dir/dd.bin" bs=4k count=1 conv=fsync status=none)"
done >"$times"
log_ms=$(awk '$1 == "log" {print $2}' "$times" | median_ms)
dd_ms=$(awk '$1 == "dd" {print $2}' "$times" | median_ms)
rm -f "$times"

echo "drive log (median of $runs):          ${log_ms} ms"
echo "dd 4 KiB + fsync (median of $runs):   ${dd_ms} ms"
awk -v a="$log_ms" -v b="$dd_ms" 'BEGIN {printf "ratio:                             %.1f×\n", a / b}'
if command -v strace >/dev/null; then
  syncs=$(strace -f -e trace=fsync,fdatasync "$bin" -q drive log extra --date 2021-07-10 --registered 1 --collected 1 2>&1 | grep -c '^fsync\|^fdatasync' || true)
  echo "fsyncs in one drive log:           $syncs"
fi
