#!/usr/bin/env bash
# PostgreSQL archive_command: copy one finished WAL segment into the archive with its
# SHA-256 beside it. postgresql.conf:
#   archive_mode = on
#   archive_command = '/opt/gonghui/deploy/backup/wal-archive.sh %p %f'
# Environment (or /etc/gonghui/backup.env): WAL_ARCHIVE, the archive folder (another disk,
# or a mount of another machine). Exit 0 only once the segment is safely stored: PostgreSQL
# keeps the segment and retries while this fails, and never recycles it before.
set -euo pipefail
[ -r /etc/gonghui/backup.env ] && . /etc/gonghui/backup.env
: "${WAL_ARCHIVE:?WAL_ARCHIVE is not set (the WAL archive folder)}"
src="$1"; name="$2"
dest="$WAL_ARCHIVE/$name"
sum=$(sha256sum "$src" | cut -d' ' -f1)
if [ -e "$dest" ]; then
    # Archived before (a retry after a crash): the same bytes are success, others a fault.
    if [ "$(cut -d' ' -f1 "$dest.sha256" 2>/dev/null)" = "$sum" ]; then exit 0; fi
    echo "wal-archive: $dest exists with other contents; refusing to overwrite" >&2
    exit 1
fi
tmp="$WAL_ARCHIVE/.$name.$$"
cp "$src" "$tmp"
echo "$sum  $name" > "$tmp.sha256"
sync "$tmp" "$tmp.sha256"
mv "$tmp.sha256" "$dest.sha256"
mv "$tmp" "$dest"
sync "$WAL_ARCHIVE"
