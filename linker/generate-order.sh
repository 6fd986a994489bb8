#!/usr/bin/env bash
# Regenerates linker/memoryd.order, the functions the release link lays out first (linker/README.md).
#
# It runs the release memoryd-server (the daemon's binary) under valgrind's callgrind on examples/pipeline.toml: start-up (whose
# functions come first), then every read endpoint over the Unix socket, a submit, and a session file
# that starts a run.
# Needs valgrind (apt-get install -y valgrind) and curl; takes a minute or two after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Real-time limits for the profiled daemon, which runs 20-50 times slower under callgrind.
STARTUP_DEADLINE_SECONDS=${STARTUP_DEADLINE_SECONDS:-180}
RUN_DEADLINE_SECONDS=${RUN_DEADLINE_SECONDS:-120}
EXIT_DEADLINE_SECONDS=${EXIT_DEADLINE_SECONDS:-120}

for tool in valgrind callgrind_control curl objcopy python3; do
    command -v "$tool" >/dev/null || { echo "generate-order: needs $tool (apt-get install -y valgrind curl binutils python3)" >&2; exit 1; }
done

swift build -c release --product memoryd-server

work=$(mktemp -d)
daemon=""
cleanup() {
    if [ -n "$daemon" ] && kill -0 "$daemon" 2>/dev/null; then kill -KILL "$daemon"; fi
    rm -rf "$work"
}
trap cleanup EXIT

# Valgrind 3.19 (Debian 12) cannot read this toolchain's DWARF 5; the symbol table is all it needs.
objcopy --strip-debug .build/release/memoryd-server "$work/memoryd-server"
mkdir -p "$work/home/sessions"
socket="$work/memoryd.sock"

HOME="$work/home" valgrind --tool=callgrind --demangle=no --dump-instr=no \
    --callgrind-out-file="$work/callgrind.out" --log-file="$work/valgrind.log" \
    "$work/memoryd-server" run --config examples/pipeline.toml --http 127.0.0.1:0 --socket "$socket" \
    --state-dir "$work/state" 2>"$work/memoryd.log" &
daemon=$!

api() { curl -sf --max-time 30 --unix-socket "$socket" "$@"; }

# wait_for SECONDS WHAT COMMAND...: runs COMMAND each second until it succeeds or SECONDS pass.
wait_for() {
    local deadline=$((SECONDS + $1)) what=$2
    shift 2
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "generate-order: gave up waiting for $what" >&2
            cat "$work/memoryd.log" >&2
            exit 1
        fi
        sleep 1
    done
}

wait_for "$STARTUP_DEADLINE_SECONDS" "the daemon to answer /readyz" api http://memoryd/readyz
# The start-up profile ends here (callgrind.out.1): what an idle daemon has run leads the order.
callgrind_control --dump "$daemon" >/dev/null
for path in /metrics /v1/metrics /v1/status /v1/tasks /v1/alerts /healthz /v1/openapi.yaml /; do
    api -o /dev/null "http://memoryd$path"
done
api -o /dev/null -H 'Accept: application/openmetrics-text; version=1.0.0' --compressed http://memoryd/metrics
api -o /dev/null -H 'Content-Type: application/json' -d '{"job": "consolidate"}' http://memoryd/v1/tasks
echo '{"session": 1}' >"$work/home/sessions/profile.jsonl"

all_done() { ! api http://memoryd/v1/tasks | grep -qE '"state" *: *"(pending|waiting|running|blocked)"'; }
has_tasks() { api http://memoryd/v1/tasks | grep -q '"extract"'; }
wait_for "$RUN_DEADLINE_SECONDS" "the session file's run to start" has_tasks
wait_for "$RUN_DEADLINE_SECONDS" "every task to finish" all_done
api -o /dev/null "http://memoryd/v1/events?follow=false"
api -o /dev/null http://memoryd/metrics

kill -TERM "$daemon"
stopped() { ! kill -0 "$daemon"; }
wait_for "$EXIT_DEADLINE_SECONDS" "the daemon to exit" stopped
wait "$daemon" || { echo "generate-order: memoryd exited with $?" >&2; cat "$work/memoryd.log" >&2; exit 1; }
daemon=""

{
    echo "# Functions the release memoryd-server ran under linker/generate-order.sh; ld.lld places them first in"
    echo "# .text so the daemon maps fewer code pages (linker/README.md). Generated: do not edit."
    python3 linker/callgrind_functions.py /memoryd-server "$work"/callgrind.out.1 "$work"/callgrind.out
} >linker/memoryd.order
echo "generate-order: $(grep -vc '^#' linker/memoryd.order) functions in linker/memoryd.order"
# SwiftPM does not see a linker input change: remove the binary so the next release build relinks it.
rm -f .build/release/memoryd-server
