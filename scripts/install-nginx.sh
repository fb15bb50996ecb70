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

# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
# policy-rc.d 101: the package must not start its own nginx on port 80.
POLICY=/usr/sbin/policy-rc.d
if [[ ! -e $POLICY ]]; then
    trap 'rm -f "$POLICY" 2>/dev/null || sudo rm -f "$POLICY"' EXIT
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" 2>/dev/null || printf '#!/bin/sh\nexit 101\n' | sudo tee "$POLICY" >/dev/null
    chmod +x "$POLICY" 2>/dev/null || sudo chmod +x "$POLICY"
fi
apt_install install-nginx nginx || exit 1
echo "install-nginx: done ($(/usr/sbin/nginx -v 2>&1))"
