"""PostgreSQL roles: the platform refuses to run as a role that could switch off the audit's
guards, and `gonghui audit pg-roles` creates the two roles of docs/operations.md.

The suite itself runs as the superuser `postgres`, in debug, where the refusal is off
(settings.DB_ROLE_CHECK: on by default outside debug, GONGHUI_DB_ROLE_CHECK to force)."""

import io
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from gonghui.audit import roles, services
from gonghui.audit.models import APPEND_ONLY_TABLES, AuditEvent
from gonghui.common.config import ConfigError
from gonghui.web.management.commands import worker
from tests.audit.conftest import APP, OWNER, connect_as


def test_debug_and_sqlite_check_nothing(db, settings):
    assert settings.DB_ROLE_CHECK is False  # the suite runs in debug
    roles.check_database_role()  # off: no query, no refusal
    settings.DB_ROLE_CHECK = True
    if connection.vendor == "sqlite":
        roles.check_database_role()  # SQLite has no roles to refuse


def test_pg_roles_needs_postgresql(db):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite leg")
    with pytest.raises(CommandError, match="pg-roles 只用于 PostgreSQL"):
        call_command("audit", "pg-roles")


@pytest.mark.postgres
def test_postgres_refuses_to_start_as_the_superuser(postgres, settings):
    settings.DB_ROLE_CHECK = True

    with pytest.raises(ConfigError, match="以超级用户 postgres 连接数据库"):
        roles.check_database_role()


@pytest.mark.postgres
def test_postgres_the_worker_refuses_before_it_starts(postgres, settings, monkeypatch):
    settings.DB_ROLE_CHECK = True
    monkeypatch.setattr(worker, "call_command", lambda *a, **k: pytest.fail("worker started"))

    with pytest.raises(ConfigError, match="超级用户"):
        call_command("worker")


@pytest.mark.postgres
def test_postgres_the_server_refuses_to_start_outside_debug(postgres):
    """`gonghui serve` runs gunicorn with --preload: importing gonghui.wsgi is start-up."""
    db = connection.settings_dict
    env = {
        "PATH": os.environ["PATH"],
        "GONGHUI_DEBUG": "false",
        "GONGHUI_KEYS_DIR": str(Path(settings.VAR_DIR) / "keys"),
        "GONGHUI_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    run = [sys.executable, "-c", "import gonghui.wsgi"]

    refused = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "以超级用户 postgres 连接数据库（可关闭审计表的只追加触发器）" in refused.stderr
    allowed = subprocess.run(
        run, env=env | {"GONGHUI_DB_ROLE_CHECK": "false"}, capture_output=True, timeout=120
    )
    assert allowed.returncode == 0, allowed.stderr


def refused(conn, sql: str, params=None) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as denied:
        conn.execute(sql, params)
    return str(denied.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_the_app_role_can_only_append_to_the_audit(two_roles):
    assert f"REVOKE ALL ON audit_auditevent FROM PUBLIC, {APP}" in two_roles
    assert f"GRANT SELECT, INSERT ON audit_auditevent TO {APP}" in two_roles
    services.record(actor=None, action="test.before")
    with connect_as(APP) as app:
        # What the platform does: read and append events; change its own tables.
        assert app.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (1,)
        app.execute(
            "INSERT INTO audit_auditevent (stream, seq, prev_hash, hash, body, created_at, "
            "actor_name, action, object_type, object_id) "
            "VALUES ('roles-test', 1, '', '', '{}', now(), '', 'test.app', '', '')"
        )
        app.execute("UPDATE orgs_orgunit SET name = name WHERE parent_id IS NULL")
        for table in APPEND_ONLY_TABLES:
            assert "permission denied" in refused(app, f"UPDATE {table} SET id = id")
            assert "permission denied" in refused(app, f"DELETE FROM {table}")
            assert "permission denied" in refused(app, f"TRUNCATE {table}")
            assert "must be owner" in refused(app, f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            assert "must be owner" in refused(app, f"DROP TRIGGER {table}_no_change ON {table}")
        assert "session_replication_role" in refused(app, "SET session_replication_role = replica")
        assert "permission denied" in refused(app, f"SET ROLE {OWNER}")
        with app.cursor() as cursor:
            assert roles.role_problems(cursor) == []
    with connect_as(OWNER) as owner, owner.cursor() as cursor:
        problems = roles.role_problems(cursor)
        assert problems[:2] == [
            f"{OWNER} 是当前数据库的所有者（或其成员），可删除审计表所在模式中的表",
            f"{OWNER} 是审计表 audit_auditevent 的所有者（或其成员），可关闭只追加触发器",
        ]
        # The owner migrates: it may create tables in the schema.
        cursor.execute("SELECT has_schema_privilege('public', 'CREATE')")
        assert cursor.fetchone() == (True,)
    assert AuditEvent.objects.count() == 2 and services.verify_stream().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_pg_roles_runs_again_and_takes_back_a_stray_grant(two_roles):
    """Run after every migrate: a grant that crept in (by hand, or the default privileges on
    a new audit table) is taken back, and the start-up check sees a stray one."""
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT UPDATE, DELETE ON audit_auditevent TO {APP}")
    with connect_as(APP) as app, app.cursor() as cursor:
        assert roles.role_problems(cursor) == [
            f"{APP} 对审计表 audit_auditevent 有 UPDATE, DELETE 权限"
        ]

    call_command("audit", "pg-roles", "--owner", OWNER, "--app", APP)
    with connect_as(APP) as app, app.cursor() as cursor:
        assert roles.role_problems(cursor) == []


def attempt(conn, *statements: str) -> None:
    """Run ``statements`` as one transaction and roll it back: what a role could do."""
    with pytest.raises(_RolledBack), conn.transaction():
        for sql in statements:
            conn.execute(sql)
        raise _RolledBack


class _RolledBack(Exception):
    pass


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_an_app_role_that_may_create_roles_is_refused(two_roles):
    """CREATEROLE grants itself the owner: the triggers are off two statements later."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER ROLE {APP} CREATEROLE")
    with connect_as(APP) as app:
        attempt(  # the way around the check that the red team took
            app,
            f"GRANT {OWNER} TO {APP}",
            f"SET ROLE {OWNER}",
            "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
        )
        with app.cursor() as cursor:
            assert roles.role_problems(cursor) == [
                f"{APP} 可创建角色（CREATEROLE：可把所有者角色授予自己，再关闭触发器）"
            ]

    call_command("audit", "pg-roles", "--owner", OWNER, "--app", APP)  # NOCREATEROLE again
    with connect_as(APP) as app, app.cursor() as cursor:
        assert roles.role_problems(cursor) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_an_app_role_owning_the_database_is_refused(two_roles):
    """The database's owner holds schema public (pg_database_owner): it may drop the audit
    tables. pg-roles hands the database and the schema to the owner role."""
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER DATABASE {database} OWNER TO {APP}")
        cursor.execute("ALTER SCHEMA public OWNER TO pg_database_owner")
    with connect_as(APP) as app:
        attempt(app, "DROP TABLE audit_auditevent")
        with app.cursor() as cursor:
            assert roles.role_problems(cursor) == [
                f"{APP} 是当前数据库的所有者（或其成员），可删除审计表所在模式中的表"
            ]

    output = io.StringIO()
    call_command("audit", "pg-roles", "--owner", OWNER, "--app", APP, stdout=output)
    assert f"ALTER DATABASE {database} OWNER TO {OWNER}" in output.getvalue()
    assert f"ALTER SCHEMA public OWNER TO {OWNER}" in output.getvalue()
    with connect_as(APP) as app:
        assert "must be owner" in refused(app, "DROP TABLE audit_auditevent")
        with app.cursor() as cursor:
            assert roles.role_problems(cursor) == []
    with connect_as(OWNER) as owner, owner.cursor() as cursor:
        assert (
            f"{OWNER} 是审计表所在模式 public 的所有者（或其成员），可删除审计表"
            not in roles.role_problems(cursor)  # said once, as the database's owner
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgres_a_member_of_the_schema_owner_or_of_a_superuser_is_refused(two_roles):
    database = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:  # the schema's owner alone, not the database's
        cursor.execute(f"ALTER DATABASE {database} OWNER TO CURRENT_USER")
        cursor.execute(f"GRANT {OWNER} TO {APP}")
    with connect_as(APP) as app, app.cursor() as cursor:
        problems = roles.role_problems(cursor)
    assert f"{APP} 是审计表所在模式 public 的所有者（或其成员），可删除审计表" in problems
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE {OWNER} FROM {APP}")
        superuser = connection.settings_dict["USER"]  # the superuser of the test run
        cursor.execute(f"GRANT {superuser} TO {APP}")
    with connect_as(APP) as app, app.cursor() as cursor:
        assert roles.role_problems(cursor)[0] == (
            f"{APP} 是超级用户角色 {superuser} 的成员（可 SET ROLE 后关闭触发器）"
        )
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE {superuser} FROM {APP}")
