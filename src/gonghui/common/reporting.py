"""Tracebacks that never show a protected value in full — on Django's debug page, in the
e-mails of ``AdminEmailHandler`` and in log lines (``common.logs``).

Django's own filter hides settings named like secrets, and a view's variables only where the
view says so (``sensitive_variables``). A resident ID arrives in a POST, travels through a
dozen frames under names like ``raw``, ``value`` or ``text`` and ends in an exception's
message. So values are masked twice: by name (``id_number``, ``phone``, ``bank_account`` …,
and Django's API/TOKEN/KEY/SECRET/PASS) and by shape — any run of 11 or more digits (an
18-digit ID, possibly ending in X, a 15-digit one, an 11-digit mobile, a bank account, with
spaces or dashes, in half- or full-width digits) keeps its first two and last two digits
only, as the pages' masks do; a platform token (``gh_``/``gd_``) keeps the prefix its list
shows. The reporter then passes everything it renders through the same
shape mask: the exception's message, the query string, the URL.
"""

from __future__ import annotations

import re

from django.utils.datastructures import MultiValueDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

_RUN = re.compile(r"(?<!\d)\d(?:[ \-]?\d){10,}(?:[ \-]?[Xx])?(?![\dXx])")
_SEPARATORS = re.compile(r"[ \-]")
NAMES = re.compile(
    r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|ID_?NUMBER|ID_?CARD|PHONE|MOBILE"
    r"|CONTACT|BANK|ACCOUNT_?(?:NO|NUMBER)|CARD_?NO|身份证|手机|电话|银行",
    flags=re.I,
)


# The platform's bearer secrets: API tokens (gh_) and wall-screen display tokens (gd_, in
# the screen's URL, so in access lines), kept to the prefix the token lists show.
# Not after an ASCII word character (a Chinese one may touch it), or after an encoded "/".
_TOKEN = re.compile(
    r"(?:(?<=%2[Ff])|(?<![A-Za-z0-9_-]))"  # the left edge
    r"(g[hd]_[A-Za-z0-9_-]{5})[A-Za-z0-9_-]{15,}"  # the listed prefix, then the secret
)


def mask_text(text: str) -> str:
    """``text`` with every run of 11+ digits masked to its first and last two, and every
    platform token to its listed prefix."""

    def one(match: re.Match) -> str:
        digits = _SEPARATORS.sub("", match.group(0))
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]

    return _RUN.sub(one, _TOKEN.sub(r"\1…", text))


class _Masked:
    """An object whose repr held a protected value: shown by its masked repr."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class MaskingReporterFilter(SafeExceptionReporterFilter):
    """``DEFAULT_EXCEPTION_REPORTER_FILTER``: masks protected values by name and by shape in
    a traceback's variables, the POST, the request's META and the settings — in debug too
    (Django's filter does nothing there: a debug page is shown to whoever caused the error)."""

    hidden_settings = NAMES

    def is_active(self, request):
        return True

    def clean(self, name: str, value, depth: int = 0):
        empty = value is None or (isinstance(value, str) and not value)
        if name and not empty and NAMES.search(str(name)):
            return self.cleansed_substitute
        if isinstance(value, bool | float | type(None)):
            return value
        if isinstance(value, str | int):
            text = str(value)
            masked = mask_text(text)
            return value if masked == text else masked
        if isinstance(value, bytes):
            return self.clean("", value.decode("utf-8", "replace"), depth)
        if depth > 4:
            return self.cleansed_substitute
        if isinstance(value, MultiValueDict):
            return {k: [self.clean(k, v, depth + 1) for v in value.getlist(k)] for k in value}
        if isinstance(value, dict):
            return {k: self.clean(str(k), v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.clean("", v, depth + 1) for v in value]
            return items if isinstance(value, list) else tuple(items)
        try:
            text = repr(value)
        except Exception:  # the reporter says so itself when it tries
            return value
        masked = mask_text(text)
        return value if masked == text else _Masked(masked)

    def cleanse_setting(self, key, value):
        cleansed = super().cleanse_setting(key, value)
        if cleansed == self.cleansed_substitute or callable(value):
            return cleansed
        return self.clean("", cleansed)

    def get_safe_request_meta(self, request):
        return {k: self.clean(k, v) for k, v in super().get_safe_request_meta(request).items()}

    def get_post_parameters(self, request):
        if request is None:
            return {}
        cleansed = super().get_post_parameters(request).copy()
        for key in cleansed:
            cleansed.setlist(key, [self.clean(key, v) for v in cleansed.getlist(key)])
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, value if value == self.cleansed_substitute else self.clean(name, value))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]


class MaskingExceptionReporter(ExceptionReporter):
    """``DEFAULT_EXCEPTION_REPORTER``: what the filter cannot reach (the exception's
    message, the query string, the URL, a frame's chained cause) is masked by shape, and so
    is the whole page or e-mail as rendered, as the last net."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        for key in ("exception_value", "request_insecure_uri", "exception_notes"):
            if isinstance(data.get(key), str):
                data[key] = mask_text(data[key])
        if "request_GET_items" in data:
            data["request_GET_items"] = [
                (k, self.filter.clean(k, v) if hasattr(self.filter, "clean") else mask_text(v))
                for k, v in data["request_GET_items"]
            ]
        return data

    def get_traceback_html(self):
        return mask_text(super().get_traceback_html())

    def get_traceback_text(self):
        return mask_text(super().get_traceback_text())
