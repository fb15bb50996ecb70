# Sourced by the install-*.sh scripts: Debian packages installed with apt-get, as root or
# through sudo. `apt_install NAME PKG...` installs PKG... quietly, naming the script NAME in
# every message; it fails with a message saying what to install by hand when it cannot.

apt_install() {
    local name=$1
    shift
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "$name: apt-get is not available; install $* yourself." >&2
        exit 1
    fi
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "$name: not root and no sudo; install $* yourself (apt-get install $*)." >&2
            exit 1
        fi
    fi
    echo "$name: installing $* ..."
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
