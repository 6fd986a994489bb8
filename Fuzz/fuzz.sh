#!/usr/bin/env bash
# Builds the libFuzzer targets with -sanitize=fuzzer,address and runs each for a bounded time.
#
#   bash Fuzz/fuzz.sh [SECONDS] [TARGET...]     # default 60 s each, every target, two at a time
#   bash Fuzz/fuzz.sh --merge [TARGET...]       # fold new inputs of the last runs into Corpus/
#
# Targets: promql (PromQL parser and evaluator), toml (TOML parser and config decoder), rulefile (rule-file loader:
# YAML, rulefmt, templates), http (the request path: head checks, router, query, header and body
# parsing). Each runs on a copy of its corpus in Corpus/TARGET, so a run leaves the repository as it
# was; crashes are written to .build/fuzz/TARGET/ and fail the run with the input's path.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/opt/swift/usr/bin"
# A crash is reported by libFuzzer and AddressSanitizer; Swift's own backtracer would only get in their way.
export SWIFT_BACKTRACE=enable=no

declare -A EXECUTABLE=([promql]=FuzzPromQL [toml]=FuzzTOML [rulefile]=FuzzRuleFile [http]=FuzzHTTPRequest)
ALL=(promql toml rulefile http)
PARALLEL=2        # the machines this runs on have two cores
MAX_INPUT=65536   # largest input libFuzzer tries, in bytes (-max_len)
RSS_LIMIT=2048    # MiB a target may use before libFuzzer reports it (-rss_limit_mb)

merge=false
seconds=60
if [ "${1:-}" = "--merge" ]; then merge=true; shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${ALL[@]}")
for target in "${targets[@]}"; do
    [ -n "${EXECUTABLE[$target]:-}" ] || { echo "fuzz.sh: unknown target '$target' (targets: ${ALL[*]})" >&2; exit 2; }
done

# A build that fails must fail the run: an older binary left in .build would fuzz the code before the change.
mkdir -p .build
if ! swift build -Xswiftc -sanitize=fuzzer,address >.build/fuzz-build.log 2>&1; then
    grep -E "error" .build/fuzz-build.log | sort -u >&2 || true
    echo "fuzz.sh: the fuzz targets do not build (.build/fuzz-build.log)" >&2
    exit 1
fi
grep -E "warning: |Build complete" .build/fuzz-build.log || true
bin=$(swift build -Xswiftc -sanitize=fuzzer,address --show-bin-path)

run() {
    local target=$1 work=.build/fuzz/$1
    mkdir -p "$work/corpus" "$work/crashes"
    if $merge; then
        "$bin/${EXECUTABLE[$target]}" -merge=1 "Corpus/$target" "$work/corpus" >"$work/merge.log" 2>&1
        echo "$target: merged into Corpus/$target ($(ls "Corpus/$target" | wc -l) inputs)"
        return
    fi
    cp -n Corpus/"$target"/* "$work/corpus/" 2>/dev/null || true
    local suppressions="$PWD/lsan-$target.supp"
    [ -f "$suppressions" ] && export LSAN_OPTIONS="suppressions=$suppressions:print_suppressions=0"
    if "$bin/${EXECUTABLE[$target]}" -max_total_time="$seconds" -max_len=$MAX_INPUT -rss_limit_mb=$RSS_LIMIT \
        -timeout=10 -print_final_stats=1 -artifact_prefix="$work/crashes/" "$work/corpus" >"$work/run.log" 2>&1; then
        echo "$target: $(grep -E '^stat::number_of_executed_units' "$work/run.log" | awk '{print $2}') inputs in ${seconds}s, no crash ($(grep -oE 'cov: [0-9]+' "$work/run.log" | tail -1))"
    else
        echo "$target: FAILED — see $work/run.log; the input is in $work/crashes/" >&2
        tail -40 "$work/run.log" >&2
        return 1
    fi
}

failed=0
running=0
for target in "${targets[@]}"; do
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$PARALLEL" ]; then wait -n || failed=1; running=$((running - 1)); fi
done
while [ "$running" -gt 0 ]; do wait -n || failed=1; running=$((running - 1)); done
exit $failed
