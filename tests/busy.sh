#!/usr/bin/env bash
# make test-busy: the whole suite while stress-ng keeps every core busy.
#
# A test that passes only on an idle machine is a test of the machine's speed: a busy CI
# runner or a laptop compiling something turns it red. This runs the suite in that unfriendly
# case and prints the load the machine was under. Extra arguments go to pytest.
set -uo pipefail
BIN=${BIN:-.venv/bin}
cpus=${STRESS_CPUS:-$(nproc)}
command -v stress-ng >/dev/null 2>&1 || {
  echo "stress-ng is missing (make system-deps as root, or: sudo apt-get install stress-ng)" >&2
  exit 1
}
loads=$(mktemp)
stress-ng --cpu "$cpus" --timeout 0 --quiet &
stress_pid=$!
# One sample of the 1-minute load average every 15 s, for the summary below.
(while sleep 15; do cut -d' ' -f1 /proc/loadavg >>"$loads"; done) &
sampler_pid=$!
stop() {
  kill "$stress_pid" "$sampler_pid" 2>/dev/null
  wait "$stress_pid" "$sampler_pid" 2>/dev/null
  rm -f "$loads"
}
trap stop EXIT
started=$(date +%s)
"$BIN/python" -m peers.services run -- "$BIN/python" -m pytest "$@"
rc=$?
awk -v s="$(($(date +%s) - started))" -v c="$cpus" '
  { n++; sum += $1; if ($1 > max) max = $1 }
  END { printf "stress-ng --cpu %d: %d s, load average (1 min) mean %.1f, max %.1f\n",
        c, s, n ? sum / n : 0, max }' "$loads"
exit $rc
