"""Benchmarks: ``python bench/run.py AREA [--scale small|full] [--db sqlite|postgres|both]``.

Each run builds its own data in its own database — ``var/bench/AREA.sqlite3`` or the
PostgreSQL database ``gonghui_bench_AREA``, both recreated and migrated — and prints one line per
figure on stdout, e.g. ``foundation.subtree_page_p95 3.1 ms ratio_to_pk 2.4 target<=5 ok``;
progress and the other side of each ratio go to stderr. ``--scale small`` takes about a
minute; ``full`` is the scale the issue names.
"""

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BENCH_VAR_DIR = PROJECT_DIR / "var" / "bench"
AREAS = (
    "foundation",
    "registry",
    "nominations",
    "perks",
    "contests_board",
    "contests_record",
    "contests_votes",
    "funds_enrol",
    "funds_batch",
    "funds_budget",
    "training_enrol",
    "training_quiz",
    "workbench",
    "tree",
    "dashboards",
    "audit_crypto",  # smcrypto: audit verify, SM3+SM2 against SHA-256+Ed25519
    "deploy",
    "backup",
)
PG_DATABASE = "gonghui_bench_{area}"  # one per area, so areas can run side by side
DEFAULT_DB = {"deploy": "postgres"}  # several servers refuse SQLite (docs/deploy.md)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("area", choices=AREAS)
    parser.add_argument("--scale", choices=("small", "full"), default="small")
    parser.add_argument(
        "--db", choices=("sqlite", "postgres", "both"), help="default: sqlite (deploy: postgres)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the data of an earlier run (areas that support it: registry)",
    )
    parser.add_argument(
        "--only",
        choices=("search", "import", "export"),
        help="measure only these figures, on fresh or reused data (areas that support it: registry)",
    )
    parser.add_argument(
        "--pg-server",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL, without a database name (default: %(default)s)",
    )
    args = parser.parse_args()
    args.db = args.db or DEFAULT_DB.get(args.area, "sqlite")
    if args.db == "both":
        for db in ("sqlite", "postgres"):
            command = [sys.executable, __file__, args.area, "--scale", args.scale, "--db", db]
            command += ["--reuse"] if args.reuse else []
            command += ["--only", args.only] if args.only else []
            subprocess.run([*command, "--pg-server", args.pg_server], check=True)
        return

    os.environ["GONGHUI_VAR_DIR"] = str(BENCH_VAR_DIR)
    os.environ["GONGHUI_DATABASE_URL"] = (
        database_url(args.db, args.area, args.pg_server)
        if args.reuse
        else fresh_database(args.db, args.area, args.pg_server)
    )
    os.environ.setdefault("GONGHUI_DEBUG", "true")  # throwaway keys under var/bench/keys
    os.environ["DJANGO_SETTINGS_MODULE"] = "gonghui.settings"

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    # Measure as production runs: DEBUG would also log every query (connection.queries).
    settings.DEBUG = False
    print(f"# {args.area} --scale {args.scale} --db {args.db}", file=sys.stderr, flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    area = importlib.import_module(args.area)
    options = {"reuse": True} if args.reuse else {}
    if args.only:
        options["only"] = args.only
    for line in area.run(args.scale, **options):
        print(line, flush=True)


def database_url(db: str, area: str, pg_server: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{BENCH_VAR_DIR / f'{area}.sqlite3'}"
    return f"{pg_server}/{PG_DATABASE.format(area=area)}"


def fresh_database(db: str, area: str, pg_server: str) -> str:
    """Create an empty database for this run; returns its GONGHUI_DATABASE_URL."""
    url = database_url(db, area, pg_server)
    if db == "sqlite":
        path = BENCH_VAR_DIR / f"{area}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url
    import psycopg

    with psycopg.connect(f"{pg_server}/postgres", autocommit=True) as admin:
        name = PG_DATABASE.format(area=area)
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    return url


if __name__ == "__main__":
    main()
