# shellcheck shell=bash
# What scripts/run and scripts/test share: Swift on PATH, the Debian packages each needs installed when
# missing, and the Python modules of the tests in a virtual environment of their own. Sourced, not run.

# Where Swift is expected on a fresh machine; $SWIFT_ROOT overrides it.
SWIFT_ROOT=${SWIFT_ROOT:-/opt/swift}
# A directory put first on PATH whose `python3` is Debian's, the one the Python packages below are for
# (a pyenv or other python3 earlier on PATH would not have them).
TEST_BIN=.build/test-bin

# What the Swift toolchain itself needs on Debian 12: the shared libraries its programs load (`ldd
# /opt/swift/usr/bin/*`: the driver needs ncurses and libedit, SwiftPM curl, xml2, sqlite, uuid), and
# the C toolchain parts swiftc links with.
SWIFT_PACKAGES=(libncurses6 libedit2 libcurl4 libxml2 libsqlite3-0 libuuid1 libicu72 libstdc++6
    binutils gcc libc6-dev libstdc++-12-dev)
# What building memoryd needs beside that: git for SwiftPM, libmicrohttpd and zlib for the HTTP server,
# SQLite for the persistent queue, libyaml for rule files, tzdata for the zones schedules run in.
BUILD_PACKAGES=("${SWIFT_PACKAGES[@]}" pkg-config git ca-certificates tzdata
    libmicrohttpd-dev zlib1g-dev libsqlite3-dev libyaml-dev)
# What running the daemon as the README shows needs beside the build: curl, which its examples use.
RUN_PACKAGES=("${BUILD_PACKAGES[@]}" curl)
# The real peers the tests run against: curl, promtool and Prometheus, Alertmanager, Graphviz (dot),
# systemd-analyze, tmux as the terminal of `memoryd top`, headless Chromium for the live page,
# util-linux for runuser and mount; and Python with Prometheus' reference client (its text parser),
# jsonschema and PyYAML for the OpenAPI document, as Debian packages: Debian 12 refuses a pip install
# into its Python, and they need no package index but Debian's.
TEST_PACKAGES=(curl prometheus prometheus-alertmanager graphviz systemd tmux chromium util-linux procps
    python3 python3-prometheus-client python3-jsonschema python3-yaml)

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# Puts Swift on PATH, or says where it was looked for.
use_swift() {
    case ":$PATH:" in *":$SWIFT_ROOT/usr/bin:"*) ;; *) export PATH="$PATH:$SWIFT_ROOT/usr/bin" ;; esac
    if ! command -v swift >/dev/null; then
        say "no swift on PATH or in $SWIFT_ROOT/usr/bin; install Swift 6.3 there (https://swift.org/install) or set SWIFT_ROOT"
        exit 1
    fi
}

# Installs those of the given Debian packages that are missing, after an apt-get update; as root, or
# through sudo.
install_missing_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ "${#missing[@]}" -gt 0 ] || return 0
    local as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { say "missing packages ${missing[*]}; install them as root"; exit 1; }
        as_root=(sudo)
    fi
    say "installing ${missing[*]}"
    "${as_root[@]}" apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

# Puts Debian's python3 first on PATH, so the tests' `python3` has the Python packages above.
use_test_python() {
    mkdir -p "$TEST_BIN"
    ln -sf /usr/bin/python3 "$TEST_BIN/python3"
    export PATH="$PWD/$TEST_BIN:$PATH"
    python3 -c 'import prometheus_client, jsonschema, yaml' || { say "Debian's python3 lacks the test modules"; exit 1; }
}
