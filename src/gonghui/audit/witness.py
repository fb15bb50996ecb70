"""The witness: every signed platform head, appended as a JSON line to files outside the
database (``settings.AUDIT_WITNESS``; a second path is a second store, e.g. a mount on
another machine). Whoever can edit the database cannot edit these, and cannot sign a head
(the key lives in the environment, not in the database): a stream cut or rewritten below a
witnessed head, or gone altogether, shows against them.

A line is written only after its head is committed, under an exclusive lock on the file,
by catching the file up with the database: whichever signer comes first appends every head
the file lacks, in order, so lines are never doubled or out of order, and a head committed
by a process that died before writing its line is written by the next one. A line torn by
a crash mid-write is completed from the database when its bytes are the start of the head
due there.

Each store stands alone: one that cannot be reached (a mount gone, a path under a file) is
reported and the others are still written. A store is created only for a database that has
no head yet, or by ``gonghui audit witness-restart``: a witness that vanished (deleted with
the evidence of a rollback, say) is never rebuilt from the database by itself.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from gonghui.audit.verifier import canonical, head_digest, split_torn

LINE_FIELDS = ("n", "time", "prev", "root", "streams", "key_id", "signature")
TAIL_BYTES = 64 * 1024  # a line is a few hundred bytes (the streams that moved that minute)
RESTART = "gonghui audit witness-restart --yes"
log = logging.getLogger("gonghui.audit")


class WitnessError(Exception):
    """The witness cannot be read as JSON lines of heads, or cannot be reached; the message
    says which store and why."""


class Unreachable(WitnessError):
    """The store cannot be opened or read at all (a mount gone, a path under a file)."""


def paths() -> list[Path]:
    return list(settings.AUDIT_WITNESS)


def line(head: dict) -> str:
    return canonical({f: head[f] for f in LINE_FIELDS}) + "\n"


def unreachable(path: Path, exc: OSError) -> str:
    return f"见证文件 {path} 无法访问（{type(exc).__name__}: {exc.strerror or exc}）"


def missing(path: Path, heads: int, exists: bool) -> str:
    what = "为空" if exists else "不存在"
    return (
        f"见证文件 {path} {what}，而数据库中有 {heads} 个平台链头：见证文件不会从数据库自动"
        f"重建（它可能连同回滚的证据一起被删除）；查明原因后运行 {RESTART}"
    )


def torn_problem(path: Path, n: int) -> str:
    return (
        f"见证文件 {path} 的最后一行不完整，且不是数据库中平台链头 #{n} 的开头：截去该行"
        f"（docs/operations.md“见证文件的修复”）或运行 {RESTART}"
    )


@dataclass
class Contents:
    """What a store holds: its heads (or only the last one, for ``tail``), the bytes of a
    torn last line (a crash mid-write), and whether the file exists at all."""

    heads: list[dict]
    torn: bytes = b""
    exists: bool = True

    @property
    def last(self) -> dict | None:
        return self.heads[-1] if self.heads else None

    @property
    def empty(self) -> bool:
        return not self.heads and not self.torn


def _parse(path: Path, data: bytes, numbered: bool = True) -> Contents:
    complete, torn = split_torn(data)
    heads = []
    for number, text in enumerate(complete.split(b"\n"), 1):
        if not text.strip():
            continue
        try:
            head = json.loads(text)
        except ValueError:
            head = None
        if not (isinstance(head, dict) and set(LINE_FIELDS) <= set(head)):
            where = f"第 {number} 行" if numbered else "末尾的一行"
            raise WitnessError(f"见证文件 {path} {where}无法读取")
        heads.append(head)
    return Contents(heads, torn)


def read(path: Path) -> Contents:
    """Every head in the file. Raises WitnessError if it cannot be reached or a complete line
    is no head."""
    try:
        with path.open("rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return Contents([], exists=False)
    except OSError as exc:
        raise Unreachable(unreachable(path, exc)) from None
    return _parse(path, data)


def _tail(path: Path, fh) -> Contents:
    """The last complete head (and a torn line after it) of an open file, reading its end."""
    size = fh.seek(0, os.SEEK_END)
    start = max(0, size - TAIL_BYTES)
    fh.seek(start)
    data = fh.read()
    if start:  # the seek likely landed inside a line: that line is not read
        data = data.partition(b"\n")[2]
    complete, torn = split_torn(data)
    lines = complete.rstrip(b"\n").rpartition(b"\n")[2]
    contents = _parse(path, lines + b"\n" if lines else b"", numbered=False)
    return Contents(contents.heads, torn)


def tail(path: Path) -> Contents:
    """The file's last head (and a torn line after it). Raises WitnessError if it cannot be
    reached or its last complete line is no head."""
    try:
        with path.open("rb") as fh:
            return _tail(path, fh)
    except FileNotFoundError:
        return Contents([], exists=False)
    except OSError as exc:
        raise Unreachable(unreachable(path, exc)) from None


def describe(path: Path) -> str:
    """The store's last head as an audit event records it when the store is restarted:
    "#n <digest>", "none" (no file, or no head in it) or "unreadable"."""
    try:
        last = tail(path).last
        return "none" if last is None else f"#{last['n']} {head_digest(last)}"
    except (WitnessError, KeyError, TypeError, ValueError):
        return "unreadable"


def catch_up(path: Path, heads_after, *, create: bool = False) -> tuple[int, str | None]:
    """Append to ``path`` every head it lacks; ``heads_after(n, tail)`` yields the database's
    heads after head ``n`` (as dicts, checked), in order, and raises WitnessError if the
    file's last head ``tail`` is not the database's head of that number. Returns (lines
    written, problem or None). The file is created only if ``create`` (a database without
    heads yet, or a restart); a torn last line is completed when it is the start of the
    line due there."""
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_RDWR | os.O_APPEND | (os.O_CREAT if create else 0)
        fd = os.open(path, flags, 0o640)
    except FileNotFoundError:
        return 0, None  # reported by the signer's check (missing while there are heads)
    except OSError as exc:
        return 0, unreachable(path, exc)
    try:
        with os.fdopen(fd, "r+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                return _append(path, fh, heads_after)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
    except WitnessError as exc:
        return 0, str(exc)
    except OSError as exc:
        return 0, unreachable(path, exc)


def _append(path: Path, fh, heads_after) -> tuple[int, str | None]:
    contents = _tail(path, fh)
    last = contents.last
    after = 0 if last is None else last["n"]
    if not isinstance(after, int):
        return 0, f"见证文件 {path} 的最后一行无法读取"
    written = 0
    for head in heads_after(after, last):
        text = line(head).encode()
        if contents.torn and not written:
            if not text.startswith(contents.torn):
                return 0, torn_problem(path, head["n"])
            log.warning("audit witness %s: torn last line completed (head #%s)", path, head["n"])
            text = text[len(contents.torn) :]
        fh.write(text)
        written += 1
    if contents.torn and not written:
        return 0, None  # the head it began is not committed yet (or the next run writes it)
    if written:
        fh.flush()
        os.fsync(fh.fileno())
    return written, None


def set_aside(path: Path, stamp: str) -> Path | None:
    """Move a store aside (kept, never deleted) so that a new one can start in its place;
    returns where it went, or None if there was no file."""
    target = path.with_name(f"{path.name}.{stamp}.replaced")
    try:
        os.rename(path, target)
    except FileNotFoundError:
        return None
    return target


def same_host_warning() -> str | None:
    """Production with only the default witness, beside the database on the same host:
    whoever holds the host holds both."""
    if settings.DEBUG or not settings.AUDIT_WITNESS_DEFAULT:
        return None
    return (
        f"GONGHUI_AUDIT_WITNESS 未设置：平台链头只写入同一台主机上的 {paths()[0]}；"
        f"能改动数据库的人也能改动它。请另设一个位于其他机器上的见证文件（见 docs/operations.md）"
    )


def warn_same_host() -> None:
    message = same_host_warning()
    if message:
        log.warning("%s", message)
