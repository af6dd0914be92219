# Shared by run-all and run-floor (sourced, not run): builds pingme and pingme-bench, and starts
# a fresh pingme for each scenario (`serve NAME`, `run NAME ARGS...`). Sets `out`, `bin`,
# `server`, `data`, `base`, `failed`.
cd "$(dirname "$0")/../.."
out="$(realpath -m "${1:-target/bench-results}")"
mkdir -p "$out"
cargo build --release -q -p pingme -p pingme-bench
bin="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release"
# PINGME_SERVER=path/to/pingme measures another build of the server (an earlier commit's, for a
# before/after comparison) with this build's load generator.
server="${PINGME_SERVER:-$bin/pingme}"
data="$(mktemp -d)"
port="${PINGME_BENCH_PORT:-18200}"
base="http://127.0.0.1:$port"
server_pid=""
failed=()
stop() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    cp "$data/server.log" "$out/server.log" 2>/dev/null || true
    rm -rf "$data"
}
trap stop EXIT
ulimit -n "$(ulimit -Hn)"

export PINGME_ADMIN_PASSWORD='bench password 1'

launch() { # DIR PORT: pingme on DIR (made with the bench's users) on PORT; its pid in `launched`
    local dir=$1 at="http://127.0.0.1:$2"
    if curl -s "$at/healthz" >/dev/null; then
        echo "something else answers on port $2; set PINGME_BENCH_PORT" >&2; exit 1
    fi
    mkdir -p "$dir"
    PINGME_DATA_DIR="$dir" "$server" admin create-users --prefix bench --count 1200 \
        --csv "$data/users.csv" >/dev/null
    PINGME_DATA_DIR="$dir" PINGME_BIND="127.0.0.1:$2" PINGME_RATE_LIMITS=off RUST_LOG=warn \
        PINGME_MAX_CONNECTIONS_PER_IP=0 \
        "$server" serve >>"$data/server.log" 2>&1 &
    launched=$!
    for _ in $(seq 150); do
        curl -sf "$at/healthz" >/dev/null && return
        kill -0 "$launched" 2>/dev/null || break
        sleep 0.2
    done
    echo "pingme did not start; its log:" >&2; cat "$data/server.log" >&2; exit 1
}

serve() { # NAME: a fresh server on a fresh database, so that no run inherits another's data
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    launch "$data/$1" "$port"
    server_pid=$launched
}

run() { # NAME ARGS...: one scenario, its table on the terminal, JSON and PNG into OUT
    local name=$1; shift
    serve "$name"
    echo "== $name: pingme-bench $*"
    "$bin/pingme-bench" --base "$base" --users "$data/users.csv" --server-pid "$server_pid" \
        --json "$out/$name.json" "$@" 2> >(grep -v '^\[' >&2) || failed+=("$name")
}

per_second() { sed -n 's/^  "per_second": \([0-9.]*\),$/\1/p' "$1"; }
