#!/usr/bin/env bash
# Debian's CJK font: the attendance certificates embed it (training · courses, PDF) and the
# browser tests' screenshots need it (without it every Chinese character is a box).
# Idempotent and silent when it is already there.
set -euo pipefail

FONT=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
PACKAGE=fonts-wqy-microhei

if [[ -f $FONT ]]; then
    exit 0
fi
# shellcheck source=scripts/apt.sh
source "$(dirname "$0")/apt.sh"
if ! apt_install --with-recommends install-fonts "$PACKAGE"; then
    echo "install-fonts: or fonts-noto-cjk, or set GONGHUI_CERT_FONT to a CJK TrueType font." >&2
    exit 0  # the certificates name the missing font; only the screenshots suffer
fi
echo "install-fonts: done"
