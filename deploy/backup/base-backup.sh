#!/usr/bin/env bash
# A base backup for point-in-time recovery: pg_basebackup (tar, compressed, with the WAL it
# needs), its SHA-256 sums, then the old bases and WAL pruned (wal-prune.sh). Run daily
# (systemd timer or cron) as a role with REPLICATION:
#   BASE_DIR=/backup/pg/base WAL_ARCHIVE=/backup/pg/wal PGHOST=db PGUSER=replicator base-backup.sh
set -euo pipefail
[ -r /etc/gonghui/backup.env ] && . /etc/gonghui/backup.env
: "${BASE_DIR:?BASE_DIR is not set (where base backups go)}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$BASE_DIR/.$stamp.partial"
mkdir -p "$work"
trap 'rm -rf "$work"' ERR
pg_basebackup --no-password -D "$work" -Ft -z --wal-method=fetch --checkpoint=fast \
    --label="gonghui-$stamp" --manifest-checksums=SHA256
(cd "$work" && sha256sum ./*.tar.gz backup_manifest > SHA256SUMS)
mv "$work" "$BASE_DIR/$stamp"
echo "base backup $BASE_DIR/$stamp"
"$(dirname "$0")/wal-prune.sh"
