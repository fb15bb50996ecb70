#!/usr/bin/env bash
# Point-in-time recovery, step 2 of docs/backup.md: unpack a base backup into an EMPTY data
# directory and set recovery to stop at a time (Asia/Shanghai unless the time says otherwise).
#   pitr-prepare.sh BASE_BACKUP_DIR DATA_DIR '2026-12-07 14:30:00+08'
# Then start PostgreSQL on DATA_DIR; it replays the archive up to that time and pauses
# (check the data, then `SELECT pg_wal_replay_resume();` to open it).
set -euo pipefail
[ -r /etc/gonghui/backup.env ] && . /etc/gonghui/backup.env
[ $# -eq 3 ] || { echo "usage: pitr-prepare.sh BASE_BACKUP_DIR DATA_DIR 'TIME'" >&2; exit 2; }
: "${WAL_ARCHIVE:?set WAL_ARCHIVE (the archive wal-archive.sh writes) in /etc/gonghui/backup.env}"
base="$1"; data="$2"; target="$3"
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$base" && sha256sum --quiet -c SHA256SUMS) || { echo "pitr: $base fails its SHA-256 sums" >&2; exit 1; }
if [ -n "$(ls -A "$data" 2>/dev/null)" ]; then echo "pitr: $data is not empty" >&2; exit 1; fi
mkdir -p "$data"; chmod 700 "$data"
tar -xzf "$base/base.tar.gz" -C "$data"
[ -e "$base/pg_wal.tar.gz" ] && tar -xzf "$base/pg_wal.tar.gz" -C "$data/pg_wal"
cat >> "$data/postgresql.auto.conf" <<CONF
restore_command = 'WAL_ARCHIVE=$WAL_ARCHIVE $here/wal-restore.sh %f %p'
recovery_target_time = '$target'
recovery_target_action = 'pause'
CONF
touch "$data/recovery.signal"
echo "prepared $data: start PostgreSQL on it to recover up to $target"
