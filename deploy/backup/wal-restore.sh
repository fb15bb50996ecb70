#!/usr/bin/env bash
# PostgreSQL restore_command (recovery): copy one archived WAL segment back, after checking
# its SHA-256. A segment whose checksum fails stops the recovery there (exit 1 with a message)
# rather than replaying damaged history.
#   restore_command = '/opt/gonghui/deploy/backup/wal-restore.sh %f %p'
set -euo pipefail
[ -r /etc/gonghui/backup.env ] && . /etc/gonghui/backup.env
: "${WAL_ARCHIVE:?WAL_ARCHIVE is not set (the WAL archive folder)}"
name="$1"; dest="$2"
src="$WAL_ARCHIVE/$name"
[ -e "$src" ] || exit 1   # not archived (the end of the archive): PostgreSQL asks for it, stops
if [ -e "$src.sha256" ]; then
    (cd "$WAL_ARCHIVE" && sha256sum --quiet -c "$name.sha256") || {
        echo "wal-restore: $src fails its SHA-256; recovery stops before it" >&2
        exit 2
    }
fi  # a .history or .backup file archived without one is taken as is
cp "$src" "$dest"
