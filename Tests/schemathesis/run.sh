#!/usr/bin/env bash
# Runs schemathesis (property-based API testing from the OpenAPI document) against a real memoryd.
#
#   bash Tests/schemathesis/run.sh [SECONDS]     # default 120 s of fuzzing and stateful tests
#
# It builds memoryd (debug), starts it on a temporary state directory with a free loopback port and a
# token, and runs every check schemathesis has against the document the daemon serves, with the token,
# so the protected reads and the mutations are exercised too. /v1/events is left out: a followed stream
# never ends, and schemathesis waits for a whole body (OpenAPIConformanceTests checks its lines).
# schemathesis comes from PyPI into a virtual environment of its own (.build/schemathesis-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/opt/swift/usr/bin"
SECONDS_BUDGET="${1:-120}"
VERSION="4.32.5"

venv=.build/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$VERSION"
fi
# memoryd execs memoryd-server for `run`: both are needed.
swift build --product memoryd >/dev/null
swift build --product memoryd-server >/dev/null

work=$(mktemp -d)
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token="schemathesis-$RANDOM$RANDOM"
cat >"$work/memoryd.toml" <<TOML
[daemon]
token = "$token"
shutdown_grace = "1s"

[jobs.greet]
command = ["sh", "-c", "echo hello \$MEMORYD_PARAM_NAME"]

[jobs.slow]
command = ["sleep", "30"]
TOML
.build/debug/memoryd run --config "$work/memoryd.toml" --http "127.0.0.1:$port" \
    --socket "$work/memoryd.sock" --state-dir "$work/state" 2>"$work/daemon.log" &
daemon_pid=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.1
done

# One worker: with several, schemathesis 4.32's coverage phase crashed inside Python's ast module
# ("AST constructor recursion depth mismatch"), an error of the tool, not of the API.
"$venv/bin/schemathesis" run "http://127.0.0.1:$port/v1/openapi.yaml" \
    -H "Authorization: Bearer $token" --checks all --exclude-path /v1/events \
    --max-time "$SECONDS_BUDGET" --workers 1 --request-timeout 10
echo "daemon still up: $(kill -0 "$daemon_pid" && echo yes)"
