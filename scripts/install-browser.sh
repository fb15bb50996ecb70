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

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: apt-get is not available; install ${missing[*]} yourself" \
        "(the browser tests need /usr/bin/chromium and a CJK font) or run pytest -m 'not browser'." >&2
    exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-browser: not root and no sudo; install ${missing[*]} yourself" \
            "or run pytest -m 'not browser'." >&2
        exit 0
    fi
fi

echo "install-browser: installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "install-browser: done ($(/usr/bin/chromium --version 2>/dev/null || echo 'chromium'))"
