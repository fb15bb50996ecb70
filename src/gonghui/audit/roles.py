"""PostgreSQL roles: the platform never runs as a role that could undo the audit's guards.

The append-only triggers (migrations 0002 and 0004) stop every UPDATE, DELETE and TRUNCATE,
but a superuser or the tables' owner can switch them off (``ALTER TABLE … DISABLE TRIGGER``,
``SET session_replication_role = replica``). So production uses two roles
(docs/operations.md): an owner that migrates (and owns the database and schema public),
and the application's role, which owns nothing, may create no roles, belongs to no role
that could, and may only INSERT and SELECT on the audit tables. ``setup_roles`` creates them
(``gonghui audit pg-roles``); ``check_database_role`` refuses to start the server or the
worker as anything more (on by default outside debug: ``settings.DB_ROLE_CHECK``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from gonghui.audit.models import APPEND_ONLY_TABLES
from gonghui.common.config import ConfigError

REFUSED_ON_AUDIT = ("UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def role_problems(cursor) -> list[str]:
    """Why the connected role could change the audit log (empty: it cannot).

    Besides being a superuser or the tables' owner, each of these leads there: a role it may
    SET ROLE to that is a superuser or may create roles (CREATEROLE grants itself the owner:
    ``GRANT owner TO app; SET ROLE owner; ALTER TABLE … DISABLE TRIGGER``), owning the
    database (its owner is pg_database_owner, which owns schema public by default: it may
    DROP the audit tables), or membership in the owner of the tables' schema."""
    cursor.execute(
        "SELECT current_user, current_setting('server_version_num')::int, "
        "ARRAY(SELECT r.rolname FROM pg_roles r WHERE r.rolsuper "
        "AND pg_has_role(current_user, r.oid, 'MEMBER') ORDER BY r.rolname), "
        "ARRAY(SELECT r.rolname FROM pg_roles r WHERE r.rolcreaterole "
        "AND pg_has_role(current_user, r.oid, 'MEMBER') ORDER BY r.rolname), "
        "(SELECT pg_has_role(current_user, d.datdba, 'MEMBER') FROM pg_database d "
        "WHERE d.datname = current_database())"
    )
    user, version, superusers, creators, owns_database = cursor.fetchone()
    if user in superusers:
        return [f"以超级用户 {user} 连接数据库（可关闭审计表的只追加触发器）"]
    problems = []
    if superusers:
        problems.append(f"{user} 是超级用户角色 {superusers[0]} 的成员（可 SET ROLE 后关闭触发器）")
    if creators:
        who = "" if creators[0] == user else f"经角色 {creators[0]} "
        problems.append(
            f"{user} {who}可创建角色（CREATEROLE：可把所有者角色授予自己，再关闭触发器）"
        )
    if owns_database:
        problems.append(f"{user} 是当前数据库的所有者（或其成员），可删除审计表所在模式中的表")
    for table in APPEND_ONLY_TABLES:
        cursor.execute(
            "SELECT pg_has_role(current_user, c.relowner, 'MEMBER'), "
            "pg_has_role(current_user, n.nspowner, 'MEMBER'), n.nspname, "
            "ARRAY(SELECT p FROM unnest(%s::text[]) p WHERE has_table_privilege(c.oid, p)) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass(%s)",
            [list(REFUSED_ON_AUDIT), table],
        )
        row = cursor.fetchone()
        if row is None:
            continue  # not migrated yet: migrate refuses nothing, the server checks again
        owns, owns_schema, schema, granted = row
        if owns:
            problems.append(f"{user} 是审计表 {table} 的所有者（或其成员），可关闭只追加触发器")
        if owns_schema and not owns_database:
            problems.append(f"{user} 是审计表所在模式 {schema} 的所有者（或其成员），可删除审计表")
        if granted:
            problems.append(f"{user} 对审计表 {table} 有 {', '.join(granted)} 权限")
    if version >= 150000:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        if cursor.fetchone()[0]:
            problems.append(f"{user} 可设置 session_replication_role（可绕过触发器）")
    return list(dict.fromkeys(problems))


def check_database_role() -> None:
    """Refuse to serve (gunicorn's master, the worker) as a role that could change the audit
    log. Off in debug (the test suite and `make run` use the superuser) unless
    GONGHUI_DB_ROLE_CHECK=true; on in production unless GONGHUI_DB_ROLE_CHECK=false."""
    if not settings.DB_ROLE_CHECK or connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            problems = role_problems(cursor)
    finally:
        connection.close()  # gunicorn forks after this: no worker may share the socket
    if problems:
        raise ConfigError(
            f"GONGHUI_DATABASE_URL: {problems[0]}；请以应用角色运行（gonghui audit pg-roles，"
            f"见 docs/operations.md）"
        )


def _ident(cursor, name: str) -> str:
    cursor.execute("SELECT quote_ident(%s)", [name])
    return cursor.fetchone()[0]


def _role_exists(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
    return cursor.fetchone() is not None


def setup_roles(cursor, *, owner: str, app: str, passwords: dict | None = None) -> list[str]:
    """Create (or bring back in line) the owner and the application role in the current
    database; idempotent, run by a superuser before the first ``migrate`` and after each.
    Returns the statements run, for the operator to read."""
    passwords = passwords or {}
    cursor.execute("SELECT current_database()")
    database = _ident(cursor, cursor.fetchone()[0])
    o, a = _ident(cursor, owner), _ident(cursor, app)
    done: list[str] = []

    def run(sql: str, params=None) -> None:
        cursor.execute(sql, params)
        done.append(sql)

    for name, quoted in ((owner, o), (app, a)):
        verb = "ALTER" if _role_exists(cursor, name) else "CREATE"
        run(f"{verb} ROLE {quoted} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
        if passwords.get(name):
            cursor.execute(f"ALTER ROLE {quoted} PASSWORD %s", [passwords[name]])
            done.append(f"ALTER ROLE {quoted} PASSWORD '…'")
    # The application role is no member of the owner (it could SET ROLE to it).
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app, owner])
    if cursor.fetchone()[0]:
        run(f"REVOKE {o} FROM {a}")
    # The database and schema public go to the owner: a database's owner holds schema public
    # (through pg_database_owner) and may drop the audit tables in it.
    run(f"ALTER DATABASE {database} OWNER TO {o}")
    run(f"ALTER SCHEMA public OWNER TO {o}")
    run(f"GRANT CONNECT ON DATABASE {database} TO {o}, {a}")
    run(f"GRANT USAGE, CREATE ON SCHEMA public TO {o}")
    run(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {a}")
    run(f"GRANT USAGE ON SCHEMA public TO {a}")
    # What an earlier migrate (as another role) created passes to the owner.
    cursor.execute(
        "SELECT c.relkind, quote_ident(c.relname) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
        "AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = %s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
        "AND d.classid = 'pg_class'::regclass AND d.deptype IN ('a', 'i'))",
        [owner],
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    for kind, name in cursor.fetchall():
        run(f"ALTER {kinds[kind]} {name} OWNER TO {o}")
    cursor.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname LIKE 'gonghui\\_%%'"
    )
    for (signature,) in cursor.fetchall():
        run(f"ALTER FUNCTION {signature} OWNER TO {o}")
    # Tables the owner creates later (each migrate) get the same grants.
    run(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a}"
    )
    run(
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {a}"
    )
    run(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {a}")
    run(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {a}")
    for table in APPEND_ONLY_TABLES:
        cursor.execute("SELECT to_regclass(%s)", [table])
        if cursor.fetchone()[0] is None:
            continue  # before the first migrate: run this again after it
        run(f"REVOKE ALL ON {table} FROM PUBLIC, {a}")
        run(f"GRANT SELECT, INSERT ON {table} TO {a}")
    return done
