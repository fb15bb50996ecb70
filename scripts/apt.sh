# Sourced by the install-*.sh scripts: Debian packages installed with apt-get, as root or
# through sudo. `apt_install NAME PKG...` installs PKG... quietly (without the packages they
# merely recommend; `apt_install --with-recommends NAME PKG...` with them), naming the script
# NAME in its messages. It returns 1, saying what to install by hand, when it cannot install here (no
# apt-get, not root and no sudo): the caller decides whether that stops it. A failing
# apt-get stops the script.

apt_install() {
    local recommends=--no-install-recommends
    if [[ $1 == --with-recommends ]]; then
        recommends=--install-recommends
        shift
    fi
    local name=$1
    shift
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$name: apt-get is not available; install $* yourself." >&2
        return 1
    fi
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "$name: not root and no sudo; install $* yourself (apt-get install $*)." >&2
            return 1
        fi
        sudo=(sudo)
    fi
    echo "$name: installing $* ..."
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq || exit 1
    "${sudo[@]}" apt-get install -y -qq "$recommends" "$@" >/dev/null || exit 1
}
