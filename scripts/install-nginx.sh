#!/usr/bin/env bash
# Debian's nginx (1.22), the reverse proxy of the deployment kit: the tests check
# deploy/nginx/gonghui.conf with `nginx -t` and run two `gonghui serve` behind it
# (tests/deploy/), and `bench/run.py deploy` measures through it. The package's own service
# is not started (the tests run nginx themselves, as any user, with their own prefix).
# Idempotent and silent when nginx is already installed.
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-nginx: apt-get is not available; install nginx 1.22 or later yourself" \
        "(the deployment tests run it)." >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-nginx: not root and no sudo; install nginx yourself (apt-get install nginx-light or nginx)." >&2
        exit 1
    fi
fi

echo "install-nginx: installing nginx ..."
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d 101: the package must not start its own nginx on port 80.
POLICY=/usr/sbin/policy-rc.d
CREATED_POLICY=0
if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod +x "$POLICY"
    CREATED_POLICY=1
fi
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null
if [[ $CREATED_POLICY -eq 1 ]]; then
    "${SUDO[@]}" rm -f "$POLICY"
fi
echo "install-nginx: done ($(/usr/sbin/nginx -v 2>&1))"
