"""deploy/backup/: PostgreSQL's WAL archiving and point-in-time recovery scripts. Their
shell syntax always; then, where PostgreSQL's server binaries are installed, the whole
cycle on a scratch cluster of its own (initdb in a temporary folder, its own socket and
port; the shared server is never touched): archive, base backup, retention, a damaged
segment refused, and a recovery that stops at a chosen time."""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import need_service

SCRIPTS = Path(__file__).resolve().parents[2] / "deploy" / "backup"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PORT = "54399"


@pytest.mark.parametrize("script", sorted(p.name for p in SCRIPTS.glob("*.sh")))
def test_the_scripts_are_valid_shell(script):
    assert subprocess.run(["bash", "-n", SCRIPTS / script], check=False).returncode == 0
    assert os.access(SCRIPTS / script, os.X_OK)


def as_cluster_user(*args, env=None, check=True):
    """initdb refuses root: run as the postgres account when we are root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    full = {"PATH": f"{PG_BIN}:{os.environ['PATH']}", **(env or {})}
    return subprocess.run(
        [*prefix, "env", *(f"{k}={v}" for k, v in full.items()), *map(str, args)],
        capture_output=True,
        text=True,
        check=check,
    )


@pytest.fixture
def cluster():
    need_service("PostgreSQL server binaries", (PG_BIN / "initdb").exists(), str(PG_BIN))
    # Not under pytest's tmp_path: its parent is private to root, and the cluster's user
    # must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="gonghui-pitr-"))
    for sub in ("wal", "base"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        for path in (root, root / "wal", root / "base"):
            shutil.chown(path, "postgres")
    as_cluster_user(PG_BIN / "initdb", "-D", root / "data", "-A", "trust", "-U", "postgres")
    with (root / "data" / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {PORT}\nlisten_addresses = ''\nunix_socket_directories = '{root}'\n"
            "wal_level = replica\narchive_mode = on\n"
            f"archive_command = 'WAL_ARCHIVE={root}/wal {SCRIPTS}/wal-archive.sh %p %f'\n"
        )
    started = []

    def start(data: Path):
        as_cluster_user(
            PG_BIN / "pg_ctl", "-D", data, "-l", root / f"{data.name}.log", "-w", "start"
        )
        started.append(data)

    start(root / "data")
    yield root, start
    for data in started:
        as_cluster_user(PG_BIN / "pg_ctl", "-D", data, "-w", "stop", "-m", "immediate", check=False)
    shutil.rmtree(root, ignore_errors=True)


def sql(root: Path, statement: str) -> str:
    return as_cluster_user(
        "psql", "-h", root, "-p", PORT, "-U", "postgres", "-qtA", "-c", statement
    ).stdout.strip()


def test_archive_base_backup_and_recovery_to_a_time(cluster):
    root, start = cluster
    env = {"BASE_DIR": root / "base", "WAL_ARCHIVE": root / "wal", "PGHOST": root, "PGPORT": PORT}
    sql(root, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
    done = as_cluster_user(SCRIPTS / "base-backup.sh", env={**env, "PGUSER": "postgres"})
    (base,) = (root / "base").iterdir()
    assert f"base backup {base}" in done.stdout
    assert {"base.tar.gz", "backup_manifest", "SHA256SUMS"} <= {p.name for p in base.iterdir()}
    sql(root, "INSERT INTO t VALUES (2)")
    time.sleep(1)
    target = sql(root, "SELECT now()")
    time.sleep(1)
    sql(root, "INSERT INTO t VALUES (3)")
    sql(root, "SELECT pg_switch_wal()")
    for _ in range(50):  # the archiver copies the switched segment
        segments = sorted(p.name for p in (root / "wal").iterdir() if len(p.name) == 24)
        if len(segments) >= 2:
            break
        time.sleep(0.2)
    archived = root / "wal" / segments[-1]
    sums = (root / "wal" / f"{segments[-1]}.sha256").read_text()
    assert sums.split()[1] == segments[-1]
    assert not (root / "wal" / "000000010000000000000001").exists()  # pruned: before the base

    # A segment archived again with the same bytes is fine; other bytes are refused.
    again = as_cluster_user(SCRIPTS / "wal-archive.sh", archived, segments[-1], env=env)
    assert again.returncode == 0
    other = root / "other"
    other.write_bytes(b"not the segment")
    refused = as_cluster_user(SCRIPTS / "wal-archive.sh", other, segments[-1], env=env, check=False)
    assert refused.returncode == 1 and "refusing to overwrite" in refused.stderr

    # A damaged segment stops a recovery instead of being replayed.
    damaged = root / "wal" / "damaged"
    shutil.copy(archived, damaged)
    shutil.copy(root / "wal" / f"{segments[-1]}.sha256", root / "wal" / "damaged.sha256")
    (root / "wal" / "damaged.sha256").write_text(sums.replace(segments[-1], "damaged"))
    with damaged.open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\xff")
    out = root / "out"
    bad = as_cluster_user(SCRIPTS / "wal-restore.sh", "damaged", out, env=env, check=False)
    assert bad.returncode == 2 and "fails its SHA-256" in bad.stderr and not out.exists()

    # Recovery to the time between the second and the third row.
    as_cluster_user(PG_BIN / "pg_ctl", "-D", root / "data", "-w", "stop", "-m", "fast")
    restored = root / "restored"
    as_cluster_user(SCRIPTS / "pitr-prepare.sh", base, restored, target, env=env)
    assert (restored / "recovery.signal").exists()
    start(restored)
    for _ in range(50):
        if "pausing at the end of recovery" in (root / "restored.log").read_text():
            break
        time.sleep(0.2)
    assert sql(root, "SELECT array_agg(x ORDER BY x) FROM t") == "{1,2}"
