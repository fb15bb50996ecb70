#!/usr/bin/env bash
# Debian's wrk (4.1.0), the HTTP load generator of the loopback benchmarks (bench/loadgen.py).
# Idempotent and silent when wrk is already on PATH. wrk is chosen because one of its threads,
# driven by a LuaJIT script (bench/loadgen.lua), sends thousands of requests a second for a
# fraction of one core: on a 2-core machine the load generator must not steal the server's CPU.
set -euo pipefail

if command -v wrk >/dev/null 2>&1; then
    exit 0
fi

# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
apt_install install-wrk wrk || exit 1
echo "install-wrk: done ($(wrk -v 2>&1 | head -n 1 || true))"
