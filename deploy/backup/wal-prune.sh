#!/usr/bin/env bash
# Retention: keep the newest KEEP_BASES base backups (default 7) and every archived WAL
# segment the oldest kept one needs; older bases and segments are deleted.
set -euo pipefail
[ -r /etc/gonghui/backup.env ] && . /etc/gonghui/backup.env
: "${BASE_DIR:?BASE_DIR is not set}" "${WAL_ARCHIVE:?WAL_ARCHIVE is not set}"
keep="${KEEP_BASES:-7}"
mapfile -t bases < <(find "$BASE_DIR" -mindepth 1 -maxdepth 1 -type d -name '20*' | sort)
[ "${#bases[@]}" -gt 0 ] || exit 0
drop=$(( ${#bases[@]} > keep ? ${#bases[@]} - keep : 0 ))
for old in "${bases[@]:0:drop}"; do
    rm -rf "$old"; echo "removed base backup $old"
done
oldest="${bases[$drop]}"
# The first segment the oldest kept base needs: its backup_label's START WAL LOCATION.
start=$(tar -xzOf "$oldest/base.tar.gz" backup_label | sed -n 's/^START WAL LOCATION: .* (file \(.*\))$/\1/p')
[ -n "$start" ] || { echo "wal-prune: no START WAL in $oldest; nothing pruned" >&2; exit 1; }
pg_archivecleanup "$WAL_ARCHIVE" "$start"
find "$WAL_ARCHIVE" -maxdepth 1 -name '*.sha256' | while read -r sum; do
    [ -e "${sum%.sha256}" ] || rm -f "$sum"
done
