"""Backups of everything (docs/backup.md): a backup set is the database (SQLite's online
backup, or ``pg_dump -Fc``), every file the database names (attachments, job files) read
through the platform's storage, and a manifest with each part's SHA-256 and size. Keys are
never in a set. ``sets`` writes, checks and restores sets; ``drill`` restores one into a
scratch database and verifies it; ``services`` records both in the audit log."""
