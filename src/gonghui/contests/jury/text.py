"""Text as jury and arbitration compare and store it: what is typed, folded; a vote or a
corrected mark as canonical decimal text.

``canonical`` is ``judging.services.canonical`` again (zero as "0", never "-0"): the one
rule belongs in ``engine`` (``engine._text`` is private and keeps "-0"); until it is there,
jury and appeals share this one."""

import unicodedata

from gonghui.contests import scoring


def folded(text: str) -> str:
    """Text as typed, compared: full-width folded (NFKC), spaces collapsed (a juror's name,
    an appeal's text)."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def canonical(value) -> str:
    """A number as stored and published: every digit, no exponent, no trailing zeros, and
    zero as "0"."""
    number = scoring.mark(value)
    if number == 0:
        return "0"
    return format(number.normalize(scoring.CONTEXT), "f")
