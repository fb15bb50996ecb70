"""三权分立 in the database: one account never holds active posts of two separated classes
(the system, security and audit administrators' kinds, and personal data: see
``permissions.duties``), and no role mixes two of them.

``orgs.services`` checks every grant first and says why in Chinese; these triggers are the
guarantee under it, for whatever writes without the services (the shell, a script, a bulk
insert): an INSERT or UPDATE of a post, or an edit of a role's permissions, that would give
an account a second class is refused (SQLite ``RAISE(ABORT)``, PostgreSQL ``check_violation``:
both an ``IntegrityError``). On PostgreSQL each trigger first locks the rows of the accounts
it checks (the post's account; the holders of the role edited), so grants and role edits
that reach one account in parallel are checked one after the other. A role's permissions
saved unchanged fire nothing (an upgrade's ``sync_builtin_roles`` must not trip over the
breaches an upgrade left: ``orgs.W001`` names those).

The triggers read the classes' permission lists from ``permissions.py`` and are (re)made
after every ``migrate`` (``post_migrate``), so they follow the catalogue. On SQLite they are
dropped before a ``migrate`` (``pre_migrate``): the post triggers read ``orgs_role``, and
SQLite refuses to rename a rebuilt ``orgs_role`` into place while a trigger names it.
"""

from __future__ import annotations

import re

from gonghui.orgs.permissions import ADMIN_KINDS, PII, PII_PERMISSIONS

MESSAGE = (
    "gonghui: separation of duties (三权分立): an account may hold posts of one "
    "administrator kind only, and none with personal data"
)
SQLITE_TRIGGERS = (
    "orgs_post_separation_insert",
    "orgs_post_separation_update",
    "orgs_role_separation_insert",
    "orgs_role_separation_update",
)


def _classes() -> dict[str, list[str]]:
    classes = {kind: sorted(perms) for kind, (_, perms) in ADMIN_KINDS.items()}
    classes[PII] = sorted(PII_PERMISSIONS)
    return classes


def _in(perms: list[str]) -> str:
    # The catalogue's own codes (never input): checked to be [a-z_.] before they are quoted.
    assert all(re.fullmatch(r"[a-z_.]+", p) for p in perms)  # noqa: S101
    return ", ".join(f"'{p}'" for p in perms)


def _elements(vendor: str, column: str) -> str:
    if vendor == "postgresql":
        return f"jsonb_array_elements_text({column}) AS e(value)"
    return f"json_each({column}) AS e"


def _account_classes(vendor: str, user: str) -> str:
    """How many classes the active posts of account ``user`` (an SQL expression) fall in."""
    return " + ".join(
        f"(CASE WHEN EXISTS (SELECT 1 FROM orgs_post p JOIN orgs_role r ON r.id = p.role_id, "  # noqa: S608
        f"{_elements(vendor, 'r.permissions')} WHERE p.user_id = {user} AND p.is_active "
        f"AND e.value IN ({_in(perms)})) THEN 1 ELSE 0 END)"
        for perms in _classes().values()
    )


def _role_classes(vendor: str, permissions: str) -> str:
    """How many classes one role's ``permissions`` (an SQL expression) fall in."""
    return " + ".join(
        f"(CASE WHEN EXISTS (SELECT 1 FROM {_elements(vendor, permissions)} "  # noqa: S608
        f"WHERE e.value IN ({_in(perms)})) THEN 1 ELSE 0 END)"
        for perms in _classes().values()
    )


def _role_breaks(vendor: str) -> str:
    """The condition under which the role NEW, as it now is, breaks the separation."""
    return (
        f"({_role_classes(vendor, 'NEW.permissions')}) > 1 OR EXISTS (SELECT 1 FROM orgs_post "  # noqa: S608
        f"mine WHERE mine.role_id = NEW.id AND mine.is_active "
        f"AND ({_account_classes(vendor, 'mine.user_id')}) > 1)"
    )


def sqlite_statements() -> list[str]:
    post = f"({_account_classes('sqlite', 'NEW.user_id')}) > 1"
    raise_ = f"SELECT RAISE(ABORT, '{MESSAGE}')"
    return [
        f"CREATE TRIGGER IF NOT EXISTS orgs_post_separation_insert AFTER INSERT ON orgs_post "
        f"WHEN NEW.is_active BEGIN {raise_} WHERE {post}; END",
        f"CREATE TRIGGER IF NOT EXISTS orgs_post_separation_update AFTER UPDATE OF is_active, "
        f"role_id, user_id ON orgs_post WHEN NEW.is_active BEGIN {raise_} WHERE {post}; END",
        f"CREATE TRIGGER IF NOT EXISTS orgs_role_separation_insert AFTER INSERT ON orgs_role "
        f"BEGIN {raise_} WHERE ({_role_classes('sqlite', 'NEW.permissions')}) > 1; END",
        f"CREATE TRIGGER IF NOT EXISTS orgs_role_separation_update AFTER UPDATE OF permissions "
        f"ON orgs_role WHEN OLD.permissions IS NOT NEW.permissions "
        f"BEGIN {raise_} WHERE {_role_breaks('sqlite')}; END",
    ]


def postgresql_statements() -> list[str]:
    raise_ = f"RAISE EXCEPTION USING ERRCODE = 'check_violation', MESSAGE = '{MESSAGE}'"
    return [
        "CREATE OR REPLACE FUNCTION gonghui_post_separation() RETURNS trigger AS $$ BEGIN "
        "IF NEW.is_active THEN "
        "PERFORM 1 FROM auth_user WHERE id = NEW.user_id FOR UPDATE; "
        f"IF ({_account_classes('postgresql', 'NEW.user_id')}) > 1 THEN {raise_}; END IF; "
        "END IF; RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION gonghui_role_separation() RETURNS trigger AS $$ BEGIN "  # noqa: S608
        "PERFORM 1 FROM auth_user WHERE id IN (SELECT user_id FROM orgs_post "
        "WHERE role_id = NEW.id AND is_active) FOR UPDATE; "
        f"IF {_role_breaks('postgresql')} THEN {raise_}; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE TRIGGER orgs_post_separation AFTER INSERT OR UPDATE OF is_active, "
        "role_id, user_id ON orgs_post FOR EACH ROW EXECUTE FUNCTION gonghui_post_separation()",
        "CREATE OR REPLACE TRIGGER orgs_role_separation AFTER INSERT ON orgs_role "
        "FOR EACH ROW EXECUTE FUNCTION gonghui_role_separation()",
        "CREATE OR REPLACE TRIGGER orgs_role_separation_update AFTER UPDATE OF permissions "
        "ON orgs_role FOR EACH ROW WHEN (OLD.permissions IS DISTINCT FROM NEW.permissions) "
        "EXECUTE FUNCTION gonghui_role_separation()",
    ]


def install(connection) -> None:
    """Create (or refresh) the triggers on ``connection``'s database."""
    if connection.vendor == "sqlite":
        statements = sqlite_statements()
    elif connection.vendor == "postgresql":
        statements = postgresql_statements()
    else:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop(connection) -> None:
    """Remove the triggers (``install`` makes them again)."""
    if connection.vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    elif connection.vendor == "postgresql":
        statements = [
            "DROP TRIGGER IF EXISTS orgs_post_separation ON orgs_post",
            "DROP TRIGGER IF EXISTS orgs_role_separation ON orgs_role",
            "DROP TRIGGER IF EXISTS orgs_role_separation_update ON orgs_role",
        ]
    else:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def tables_ready(connection) -> bool:
    return {"orgs_post", "orgs_role"} <= set(connection.introspection.table_names())


def after_migrate(sender, using, **kwargs) -> None:
    from django.db import connections

    connection = connections[using]
    if tables_ready(connection):
        install(connection)


def before_migrate(sender, using, **kwargs) -> None:
    from django.db import connections

    connection = connections[using]
    if connection.vendor == "sqlite" and tables_ready(connection):
        drop(connection)


def breaches_check(app_configs=None, **kwargs):
    """System check ``orgs.W001``: accounts an upgrade left holding two separated classes
    (posts granted before the rule), named at every start and by ``gonghui check``; the
    triggers refuse any further grant to them until one of the posts is ended."""
    from django.core.checks import Warning
    from django.db import connection

    from gonghui.orgs.selectors import separation_breaches

    if not tables_ready(connection):
        return []
    return [
        Warning(
            f"账号 {name} 同时担任{'、'.join(classes)}的岗位（三权分立）",
            hint="停用其中一类岗位，或为其另设账号（docs/admin-roles.md）",
            id="orgs.W001",
        )
        for name, classes in separation_breaches().items()
    ]
