"""Re-encryption (``gonghui crypto reencrypt``): every protected value and blind index not
made with its ring's current key, rewritten with it — after a key rotation, or after a
switch of GONGHUI_CRYPTO (docs/crypto.md). Old values keep decrypting until then: the run
only moves them, batch by batch, each batch one transaction with its audit event, so it can
be stopped and run again.

It lives in audit because it records events; it finds the protected fields of every model
(common.fields), and the sealed seeds written with ``crypto.encrypt`` directly (SEALED).
"""

from __future__ import annotations

from collections.abc import Callable

from django.apps import apps
from django.db import connection, transaction

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common import crypto
from gonghui.common.fields import BlindIndexField, ProtectedField

# (model, column, the context its service seals it under): values written by
# ``crypto.encrypt`` outside a ProtectedField (perks.giveaways, contests.judging).
SEALED = (
    ("perks.Giveaway", "seed_sealed", "perks.giveaway.seed"),
    ("contests.Match", "draw_seed_sealed", "contests.panel.seed"),
)


def _rows(model, columns: list[str]):
    """(pk, raw column values) of every row, as stored (no decryption)."""
    names = ", ".join(connection.ops.quote_name(c) for c in [model._meta.pk.column, *columns])
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table}")  # noqa: S608 (names from the models)
        while chunk := cursor.fetchmany(2000):
            yield from ((row[0], row[1:]) for row in chunk)


def _stale_pks(model, protected, indexes) -> list:
    rings = [crypto.FIELD] * len(protected) + [crypto.INDEX] * len(indexes)
    columns = [f.column for f in [*protected, *indexes]]
    return [
        pk
        for pk, values in _rows(model, columns)
        if any(crypto.stale(v, ring=r) for v, r in zip(values, rings, strict=True))
    ]


def _batches(pks: list, size: int):
    for start in range(0, len(pks), size):
        yield pks[start : start + size]


def _record(actor, label: str, count: int) -> None:
    record(
        actor=actor,
        action=Action.CRYPTO_REENCRYPT,
        object_type="crypto.reencrypt",
        object_id=label[:64],
        changes={"rows": [None, count]},
    )


def reencrypt(*, actor=None, batch: int = 2000, progress: Callable[[int], None] | None = None):
    """Rewrite every stale value with the current keys; returns {model label: rows}."""
    done: dict[str, int] = {}
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        protected = [f for f in fields if isinstance(f, ProtectedField)]
        indexes = [f for f in fields if isinstance(f, BlindIndexField)]
        if not protected:
            continue
        names = [f.name for f in [*protected, *indexes]]
        for chunk in _batches(_stale_pks(model, protected, indexes), batch):
            with transaction.atomic():
                rows = list(model.objects.select_for_update().filter(pk__in=chunk))
                for row in rows:
                    for index in indexes:
                        index.pre_save(row, False)
                model.objects.bulk_update(rows, names)  # encrypted again on the way in
                _record(actor, model._meta.label, len(rows))
            done[model._meta.label] = done.get(model._meta.label, 0) + len(chunk)
            if progress:
                progress(len(chunk))
    for label, column, context in SEALED:
        model = apps.get_model(label)
        stale = [(pk, v) for pk, (v,) in _rows(model, [column]) if crypto.stale(v)]
        for chunk in _batches(stale, batch):
            with transaction.atomic():
                for pk, value in chunk:
                    plain = crypto.decrypt(value, context=context)
                    model.objects.filter(pk=pk).update(
                        **{column: crypto.encrypt(plain, context=context)}
                    )
                _record(actor, f"{model._meta.label}.{column}", len(chunk))
            label = f"{model._meta.label}.{column}"
            done[label] = done.get(label, 0) + len(chunk)
            if progress:
                progress(len(chunk))
    return done
