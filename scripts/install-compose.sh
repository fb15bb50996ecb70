#!/usr/bin/env bash
# Debian's docker-compose (1.29): it reads deploy/compose.yaml, checks it against the compose
# schema and fills in its variables (`docker-compose config`) without a container engine, as
# tests/deploy/test_kit.py does. Idempotent and silent when it is already installed.
set -euo pipefail

if command -v docker-compose >/dev/null 2>&1; then
    exit 0
fi
# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
apt_install install-compose docker-compose || exit 1
echo "install-compose: done ($(docker-compose version --short 2>/dev/null || true))"
