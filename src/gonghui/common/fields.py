"""Protected personal-data fields: encrypted at rest, found through a blind index.

Usage on any model::

    id_number = ProtectedField(kind="id_number", blank=True, null=True)
    id_number_index = BlindIndexField(source="id_number")

The model attribute holds the normalised plaintext in Python; the column holds
``kid$ciphertext``. The index column holds HMAC(value) and is what look-ups filter on
(``Person.objects.filter(id_number_index=blind_index_for("id_number", raw))``).
"""

from django.db import models

from gonghui.common import crypto, pii


class ProtectedField(models.TextField):
    """Encrypted text of a personal-data ``kind`` (see ``common.pii.KINDS``)."""

    def __init__(self, *args, kind: str, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.kind)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value, context=self.kind)


def blind_index_for(kind: str, raw: str) -> str:
    """The index value to look a raw (un-normalised) input up by; raises on bad input."""
    return crypto.blind_index(pii.normalize(kind, raw), context=kind)


class BlindIndexField(models.CharField):
    """HMAC of the sibling ``source`` field, computed on save. Index it in the model's
    ``Meta.indexes``: a field's own ``db_index`` would also get a second, pattern-ops index
    on PostgreSQL, useless for exact look-ups and as costly on every insert."""

    def __init__(self, *args, source: str, **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key in ("max_length", "null", "blank", "editable", "db_index"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        source = model_instance._meta.get_field(self.source)
        value = getattr(model_instance, self.source)
        index = crypto.blind_index(value, context=source.kind) if value else None
        setattr(model_instance, self.attname, index)
        return index


class SortKeyField(models.CharField):
    """The pinyin sort key of the sibling ``source`` name (common.pinyin.sort_key), computed
    on save and in bulk inserts alike, so lists sort by pinyin the same on every database;
    by the sibling ``reading`` field's reading of the name where one is set."""

    non_db_attrs = (*models.CharField.non_db_attrs, "source", "reading")  # no ALTER for them

    def __init__(self, *args, source: str, reading: str = "", **kwargs):
        self.source, self.reading = source, reading
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.reading:
            kwargs["reading"] = self.reading
        for key in ("max_length", "editable", "default"):
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        from gonghui.common.pinyin import sort_key

        reading = getattr(model_instance, self.reading) if self.reading else ""
        value = sort_key(getattr(model_instance, self.source) or "", reading or "")
        setattr(model_instance, self.attname, value)
        return value
