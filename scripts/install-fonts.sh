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
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-fonts: apt-get is not available; install $PACKAGE (or fonts-noto-cjk) yourself," \
        "or set GONGHUI_CERT_FONT to a CJK TrueType font." >&2
    exit 0
fi
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-fonts: not root and no sudo; install $PACKAGE yourself." >&2
        exit 0
    fi
fi
echo "install-fonts: installing $PACKAGE ..."
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq "$PACKAGE" >/dev/null
echo "install-fonts: done"
