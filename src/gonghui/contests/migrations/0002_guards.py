"""What the database itself refuses, whatever code writes (see models.py):

* a mark from a judge recused from the entrant (回避), or not seated (or marked absent) on
  the panel of the entrant's match in that stage;
* a public vote from a juror recused from the entrant, or not seated;
* any UPDATE or DELETE of a mark or a vote (a correction is a new mark).

Both databases, by triggers. A later migration that rebuilds one of these tables on SQLite
(an ``AlterField`` copies the table) must create its triggers again."""

from django.db import migrations

RECUSED = (
    "EXISTS (SELECT 1 FROM contests_recusal r "
    "WHERE r.judge_id = NEW.{judge} AND r.entrant_id = NEW.entrant_id)"
)
MARK_SEATED = (
    "EXISTS (SELECT 1 FROM contests_stageentry e JOIN contests_seat s ON s.match_id = e.match_id "
    "WHERE e.stage_id = NEW.stage_id AND e.entrant_id = NEW.entrant_id "
    "AND s.judge_id = NEW.judge_id AND s.absent = {false})"
)
VOTE_SEATED = (
    "EXISTS (SELECT 1 FROM contests_judge j "
    "WHERE j.id = NEW.juror_id AND j.kind = 'public' AND j.seated = {true})"
)
# (table, name, condition that refuses, message)
CHECKS = [
    ("contests_mark", "recused", RECUSED.format(judge="judge_id"), "judge recused from entrant"),
    ("contests_mark", "unseated", "NOT " + MARK_SEATED, "judge not seated on the match"),
    ("contests_vote", "recused", RECUSED.format(judge="juror_id"), "juror recused from entrant"),
    ("contests_vote", "unseated", "NOT " + VOTE_SEATED, "juror not seated"),
]
IMMUTABLE = ("contests_mark", "contests_vote")


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "sqlite":
        for table, name, condition, message in CHECKS:
            when = condition.format(false=0, true=1)
            run(
                f"CREATE TRIGGER {table}_{name} BEFORE INSERT ON {table} WHEN {when} "
                f"BEGIN SELECT RAISE(ABORT, 'contests: {message}'); END"
            )
        for table in IMMUTABLE:
            for op in ("UPDATE", "DELETE"):
                run(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'contests: {table} is append-only'); END"
                )
    elif vendor == "postgresql":
        for table, name, condition, message in CHECKS:
            when = condition.format(false="false", true="true")
            run(
                f"CREATE FUNCTION {table}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN IF {when} THEN RAISE EXCEPTION 'contests: {message}' "
                f"USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$"
            )
            run(
                f"CREATE TRIGGER {table}_{name} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_{name}()"
            )
        run(
            "CREATE FUNCTION contests_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'contests: %% is append-only', TG_TABLE_NAME; END $$"
        )
        for table in IMMUTABLE:
            run(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION contests_append_only()"
            )
            run(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION contests_append_only()"
            )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    run = schema_editor.execute
    if vendor == "sqlite":
        for table, name, _, _ in CHECKS:
            run(f"DROP TRIGGER IF EXISTS {table}_{name}")
        for table in IMMUTABLE:
            for op in ("update", "delete"):
                run(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
    elif vendor == "postgresql":
        for table, name, _, _ in CHECKS:
            run(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
            run(f"DROP FUNCTION IF EXISTS {table}_{name}()")
        for table in IMMUTABLE:
            for suffix in ("no_change", "no_truncate"):
                run(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")
        run("DROP FUNCTION IF EXISTS contests_append_only()")


def roles(apps, schema_editor):
    from gonghui.orgs.permissions import sync_builtin_roles

    sync_builtin_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("contests", "0001_initial"), ("orgs", "0004_apitoken_password_fingerprint")]
    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(roles, migrations.RunPython.noop),
    ]
