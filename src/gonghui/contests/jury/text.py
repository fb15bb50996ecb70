"""Text as jury and arbitration compare it: what is typed, folded. (Numbers as stored and
published are ``engine.canonical_number``.)"""

import unicodedata


def folded(text: str) -> str:
    """Text as typed, compared: full-width folded (NFKC), spaces collapsed (a juror's name,
    an appeal's text)."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())
