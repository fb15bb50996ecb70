#!/usr/bin/env bash
# Debian's chromium and (scripts/install-fonts.sh) a CJK font for the browser tests
# (tests/web/test_browser.py).
# Idempotent and silent when both are already there. Playwright's own browser download is
# never used: the tests launch /usr/bin/chromium. Without a CJK font every Chinese character
# renders as a box in the screenshots.
set -euo pipefail

bash "$(dirname "$0")/install-fonts.sh"

PACKAGES=(chromium)

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${PACKAGES[@]}"; do
    if command -v dpkg-query >/dev/null 2>&1; then
        installed "$pkg" || missing+=("$pkg")
    else
        missing+=("$pkg")
    fi
done
if [[ ${#missing[@]} -eq 0 && -x /usr/bin/chromium ]]; then
    exit 0
fi
if [[ ${#missing[@]} -eq 0 ]]; then
    missing=(chromium)  # the package is registered but the binary is gone: reinstall it
fi

# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
if ! apt_install --with-recommends install-browser "${missing[@]}"; then
    echo "install-browser: the browser tests need /usr/bin/chromium; or run pytest -m 'not browser'." >&2
    exit 0
fi
echo "install-browser: done ($(/usr/bin/chromium --version 2>/dev/null || echo 'chromium'))"
