#!/usr/bin/env bash
# Debian's wrk (4.1.0), the HTTP load generator of the loopback benchmarks (bench/loadgen.py).
# Idempotent and silent when wrk is already on PATH. wrk is chosen because one of its threads,
# driven by a LuaJIT script (bench/loadgen.lua), sends thousands of requests a second for a
# fraction of one core: on a 2-core machine the load generator must not steal the server's CPU.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-wrk: apt-get is not available; install wrk 4.1 yourself" \
        "(the HTTP benchmarks run it through bench/loadgen.py)." >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-wrk: not root and no sudo; install wrk yourself (apt-get install wrk)." >&2
        exit 1
    fi
fi

echo "install-wrk: installing wrk ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends wrk >/dev/null
# `wrk -v` prints its version, then its usage, and exits 1: keep the first line only.
echo "install-wrk: done ($(wrk -v 2>&1 | head -n 1 || true))"
