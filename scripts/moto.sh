# shellcheck shell=bash
# Sourceable helpers to run a local moto server from scripts (not used by the
# Rust tests, which manage their own emulators). Needs scripts/setup.sh first.
#
#   source scripts/moto.sh
#   trap moto_cleanup EXIT
#   moto_start "$logdir"      # exports MOTO_PORT MOTO_PID AWS_ENDPOINT_URL + dummy creds
#   ...
#   moto_stop
#
# Reset between runs: curl -s -X POST "$AWS_ENDPOINT_URL/moto-api/reset"
# (the Identity Center instance ARN and identity store id change on reset).

_MOTO_SH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

# _moto_free_port: print a port on 127.0.0.1 that was free a moment ago.
_moto_free_port() {
    "$_MOTO_SH_REPO/.tools/venv/bin/python" -c \
        'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# _moto_alive PID: true while PID runs (a zombie counts as dead).
_moto_alive() {
    local state
    kill -0 "$1" 2>/dev/null || return 1
    state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
    [[ "$state" != Z ]]
}

# _moto_owns_port PID PORT: true if PID holds the listening socket on PORT
# (so a readiness answer is not from some other server on a reused port).
_moto_owns_port() {
    "$_MOTO_SH_REPO/.tools/venv/bin/python" - "$1" "$2" 2>/dev/null <<'PY'
import os, sys
pid, port = sys.argv[1], int(sys.argv[2])
inodes = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        link = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if link.startswith("socket:["):
        inodes.add(link[8:-1])
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        rows = open(table).read().splitlines()[1:]
    except OSError:
        continue
    for row in rows:
        f = row.split()
        if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port and f[9] in inodes:
            sys.exit(0)
sys.exit(1)
PY
}

# _moto_ready PORT: true when GET /moto-api/ answers.
_moto_ready() {
    if command -v curl >/dev/null 2>&1; then
        curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1/moto-api/"
    else
        "$_MOTO_SH_REPO/.tools/venv/bin/python" -c \
            'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2).read()' \
            "http://127.0.0.1:$1/moto-api/" >/dev/null 2>&1
    fi
}

# moto_start [LOGDIR]: start moto_server on a free port and wait until it
# answers (~30 s max). Logs to LOGDIR/moto-PORT.XXXXXX.log, exported as
# MOTO_LOG (LOGDIR defaults to
# $TMPDIR or /tmp). Retries on another port if its own process dies (port
# race). Returns non-zero, with the log tail on stderr, on failure.
moto_start() {
    local logdir="${1:-${TMPDIR:-/tmp}}" bin="$_MOTO_SH_REPO/.tools/bin/moto_server"
    local attempt port pid log deadline
    if [[ -n "${MOTO_PID:-}" ]] && _moto_alive "$MOTO_PID"; then
        echo "moto_start: already running (pid $MOTO_PID, port ${MOTO_PORT:-?})" >&2
        return 1
    fi
    [[ -x "$bin" ]] || { echo "moto_start: $bin missing; run scripts/setup.sh" >&2; return 1; }
    mkdir -p "$logdir" || return 1
    for attempt in 1 2 3; do
        port="$(_moto_free_port)" || return 1
        log="$(mktemp "$logdir/moto-$port.XXXXXX.log")" || return 1
        # MOTO_PORT is moto's own idea of its port (used in URLs it returns).
        MOTO_PORT="$port" MOTO_IAM_LOAD_MANAGED_POLICIES=true \
            "$bin" -H 127.0.0.1 -p "$port" </dev/null >"$log" 2>&1 &
        pid=$!
        deadline=$((SECONDS + 30))
        while _moto_alive "$pid"; do
            # A server answering on the port counts only if it is our own
            # process listening there (a second moto on a taken port exits
            # while the first one answers).
            if _moto_ready "$port" && _moto_owns_port "$pid" "$port"; then
                export MOTO_PORT="$port" MOTO_PID="$pid" MOTO_LOG="$log"
                export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
                export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
                export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
                unset AWS_SESSION_TOKEN AWS_PROFILE
                return 0
            fi
            if ((SECONDS >= deadline)); then
                echo "moto_start: moto (pid $pid) not ready on port $port after 30 s; log $log:" >&2
                tail -n 20 "$log" >&2
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                return 1
            fi
            sleep 0.1
        done
        wait "$pid" 2>/dev/null || true
        echo "moto_start: moto exited early on port $port (attempt $attempt); log $log:" >&2
        tail -n 5 "$log" >&2
    done
    return 1
}

# moto_stop: stop the server started by moto_start (TERM, then KILL after 10 s).
moto_stop() {
    local pid="${MOTO_PID:-}" i
    [[ -n "$pid" ]] || return 0
    if _moto_alive "$pid"; then
        kill "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            _moto_alive "$pid" || break
            sleep 0.1
        done
        if _moto_alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
    fi
    wait "$pid" 2>/dev/null || true
    unset MOTO_PID MOTO_PORT MOTO_LOG AWS_ENDPOINT_URL
    return 0
}

# moto_cleanup: for `trap moto_cleanup EXIT` (keeps the exit status).
moto_cleanup() {
    local rc=$?
    moto_stop >/dev/null 2>&1 || true
    return "$rc"
}
