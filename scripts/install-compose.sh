#!/usr/bin/env bash
# Debian's docker-compose (1.29): it reads deploy/compose.yaml, checks it against the compose
# schema and fills in its variables (`docker-compose config`) without a container engine, as
# tests/deploy/test_kit.py does. Idempotent and silent when it is already installed.
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-compose: apt-get is not available; install docker-compose yourself." >&2
    exit 1
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-compose: not root and no sudo; install docker-compose yourself." >&2
        exit 1
    fi
fi
echo "install-compose: installing docker-compose ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
echo "install-compose: done ($(docker-compose version --short 2>/dev/null || true))"
