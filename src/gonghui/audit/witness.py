"""The witness: every signed platform head, appended as a JSON line to files outside the
database (``settings.AUDIT_WITNESS``; a second path is a second store, e.g. a mount on
another machine). Whoever can edit the database cannot edit these, and cannot sign a head
(the key lives in the environment, not in the database): a stream cut or rewritten below a
witnessed head, or gone altogether, shows against them.

A line is written only after its head is committed, under an exclusive lock on the file,
by catching the file up with the database: whichever signer comes first appends every head
the file lacks, in order, so lines are never doubled or out of order, and a head committed
by a process that died before writing its line is written by the next one.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from django.conf import settings

from gonghui.audit.verifier import canonical

LINE_FIELDS = ("n", "time", "prev", "root", "streams", "key_id", "signature")
TAIL_BYTES = 64 * 1024  # a line is a few hundred bytes (the streams that moved that minute)


class WitnessError(Exception):
    """The witness cannot be read as JSON lines of heads; the message says where."""


def paths() -> list[Path]:
    return list(settings.AUDIT_WITNESS)


def line(head: dict) -> str:
    return canonical({f: head[f] for f in LINE_FIELDS}) + "\n"


def _parse(path: Path, number: int, text: str) -> dict:
    try:
        head = json.loads(text)
        if not isinstance(head, dict) or not set(LINE_FIELDS) <= set(head):
            raise ValueError("not a head")
        return head
    except ValueError:
        raise WitnessError(f"见证文件 {path} 第 {number} 行无法读取") from None


def read(path: Path) -> list[dict]:
    """Every head in the file ([] if there is no file yet)."""
    try:
        with path.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return []
    return [
        _parse(path, number, text.decode("utf-8", "replace"))
        for number, text in enumerate(data.splitlines(), 1)
        if text.strip()
    ]


def _tail(fh) -> dict | None:
    """The last complete line of an open file, reading only its end."""
    size = fh.seek(0, os.SEEK_END)
    fh.seek(max(0, size - TAIL_BYTES))
    lines = [text for text in fh.read().splitlines() if text.strip()]
    if not lines:
        return None
    try:
        return json.loads(lines[-1])
    except ValueError:
        return {"n": None}  # a torn last line: the caller refuses to go on from it


def last(path: Path) -> dict | None:
    try:
        with path.open("rb") as fh:
            return _tail(fh)
    except FileNotFoundError:
        return None


def catch_up(path: Path, heads_after) -> tuple[int, str | None]:
    """Append to ``path`` every head it lacks; ``heads_after(n)`` yields the database's
    heads after head ``n`` (as dicts), in order. Returns (lines written, problem or None):
    the file's last head must be the database's head of that number, else nothing is
    written (the database's heads were rewritten, or the file belongs to another one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "r+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            tail = _tail(fh)
            after = 0 if tail is None else tail.get("n")
            if not isinstance(after, int):
                return 0, f"见证文件 {path} 的最后一行无法读取"
            written = 0
            for head in heads_after(after, tail):
                fh.write(line(head).encode())
                written += 1
            if written:
                fh.flush()
                os.fsync(fh.fileno())
            return written, None
        except WitnessError as exc:
            return 0, str(exc)
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
