#!/usr/bin/env python3
"""Stand-alone verifier of a Gonghui audit bundle (审计数据包). Standard library only.

Usage::

    python verifier.py BUNDLE.zip --key "1a2b 3c4d 5e6f 7a8b 9c0d 1e2f 3a4b 5c6d"
    python verifier.py BUNDLE.zip --keys published_keys.json [--witness audit-heads.jsonl]

Trust comes from OUTSIDE the bundle: ``--key`` takes the fingerprint of the platform's audit
signing key (printed on the platform's audit page and on paper, see docs/audit-keys.md),
``--keys`` a published ``{key id: public key hex}`` file. Without either, the verifier can
only use the keys the bundle carries, which anyone who rewrote the bundle could have
replaced: it says so loudly (and exits 3). ``--witness`` also checks the stream against a
copy of the platform's witness file (the signed platform heads, kept outside its database):
a head signed BEFORE the bundle's last checkpoint that lists more of the stream shows a
bundle cut short; one signed after it only says the stream went on after the export.

A bundle ends where its last checkpoint signed it: the OK line says up to which event and
when (``signed up to seq N at T``). Without a witness, a bundle cut back to an older
checkpoint looks exactly like an honest older export: compare that line with what you
expected.

A bundle holds ``events.jsonl`` (one event a line: seq, prev_hash, hash, body),
``checkpoints.jsonl`` (signed heads of the stream) and ``public_keys.json`` (key id ->
Ed25519 public key, hex). The rules, which the platform itself uses (it imports them from
this file):

* ``body`` is the event's canonical JSON: keys sorted, no spaces, UTF-8, no ASCII escaping.
* ``hash = SHA-256(prev_hash || "\\n" || body)`` in lower-case hex; the first event's
  ``prev_hash`` is 64 zeros; ``seq`` counts 1, 2, 3... and equals the body's ``seq``.
* A checkpoint signs ``canonical({"stream", "seq", "head", "time"})`` with Ed25519; each
  checkpoint's ``head`` must be the hash of event ``seq``, and the chain may not end
  before the last checkpoint (a chain cut short, or rewritten and re-hashed, is caught).
  A bundle ends at its last checkpoint (the export signs the head it exports).
* An archive bundle (old events moved off the database, docs/audit-retention.md) starts
  after an earlier signed head: its manifest's ``after`` is that [seq, hash], its first
  checkpoint signs it, and its first event links to it; the bundle before ends there.
* A platform head (``n``, ``time``, ``prev``, ``root``, ``streams``) signs, every minute,
  which streams moved since head ``n - 1`` (``streams``: name -> [seq, hash]); ``prev`` is
  the SHA-256 of head ``n - 1``'s signed message, ``root`` the SHA-256 of the canonical
  sorted list ``[[stream, seq, hash], ...]`` of every stream's head after this one, so a
  vanished stream or a cut tail changes it.
* A key's fingerprint is the SHA-256 of its raw 32-byte public key, first 16 bytes, in
  groups of four hex digits.

Exit status 0 when the bundle verifies with trusted keys, 1 with the first problem printed
otherwise, 3 when it verifies only with the bundle's own keys (no ``--key``/``--keys``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

GENESIS = "0" * 64
EXIT_OK, EXIT_FAILED, EXIT_OWN_KEYS = 0, 1, 3
BEIJING = timezone(timedelta(hours=8), "UTC+8")


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def batch_digest(rows) -> tuple[int, str]:
    """(count, SHA-256) over high-volume records sealed as one event: each row's canonical
    JSON followed by a newline, in the order sealed (e.g. by id)."""
    digest, count = hashlib.sha256(), 0
    for row in rows:
        digest.update(canonical(row).encode() + b"\n")
        count += 1
    return count, digest.hexdigest()


def checkpoint_message(stream: str, seq: int, head: str, time: str) -> bytes:
    return canonical({"stream": stream, "seq": seq, "head": head, "time": time}).encode()


def fingerprint(public_key_hex: str) -> str:
    """What a person compares on paper: 32 hex digits in eight groups of four."""
    digest = hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:32]
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def _plain_hex(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch not in " :-\t")


# --- Ed25519 verification (RFC 8032, section 5.1.7), pure Python ------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    xx = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(xx, (_P + 3) // 8, _P)
    if (x * x - xx) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - xx) % _P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return x


def _add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    pa = (y1 - x1) * (y2 - x2) % _P
    pb = (y1 + x1) * (y2 + x2) % _P
    pc = 2 * t1 * t2 * _D % _P
    pd = 2 * z1 * z2 % _P
    e, f, g, h = pb - pa, pd - pc, pd + pc, pb + pa
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(scalar: int, point):
    result = (0, 1, 1, 0)
    while scalar:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _decode_point(raw: bytes):
    y = int.from_bytes(raw, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % _P)


def _same_point(a, b) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % _P == 0 and (a[1] * b[2] - b[1] * a[2]) % _P == 0


_BY = 4 * pow(5, _P - 2, _P) % _P
_BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % _P)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(public_key) != 32 or len(signature) != 64:
        return False
    a, r = _decode_point(public_key), _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(), "little")
    return _same_point(_mul(s, _BASE), _add(r, _mul(h % _L, a)))


def _signed(public_keys: dict[str, str], key_id: str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (hex) is ``key_id``'s over ``message``; anything malformed (not
    hex, not a string) is simply no valid signature."""
    key = public_keys.get(key_id) if isinstance(key_id, str) else None
    try:
        return key is not None and ed25519_verify(
            bytes.fromhex(key), message, bytes.fromhex(signature)
        )
    except (TypeError, ValueError):
        return False


# --- The chain ---------------------------------------------------------------------------


def check_links(stream: str, events, after: tuple[int, str] = (0, GENESIS)):
    """Walk ``events`` (dicts with seq, prev_hash, hash, body, in seq order) on from the
    event ``after`` = (seq, hash). Returns (hashes by seq, last seq, first problem or None)."""
    hashes: dict[int, str] = {}
    expected_seq, prev = after[0] + 1, after[1]
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            return (
                hashes,
                expected_seq - 1,
                (f"第 {expected_seq} 条事件缺失或顺序错乱（实际为第 {seq} 条）"),
            )
        if event["prev_hash"] != prev:
            return hashes, seq - 1, f"第 {seq} 条事件的前序哈希与第 {seq - 1} 条不符（链条断裂）"
        if link_hash(event["prev_hash"], event["body"]) != event["hash"]:
            return hashes, seq - 1, f"第 {seq} 条事件内容与其哈希不符（内容被修改）"
        body = json.loads(event["body"])
        if body.get("seq") != seq or body.get("stream") != stream:
            return hashes, seq - 1, f"第 {seq} 条事件的序号或流名与内容不符"
        hashes[seq] = event["hash"]
        prev, expected_seq = event["hash"], seq + 1
    return hashes, expected_seq - 1, None


def check_stream(
    stream: str,
    events,
    checkpoints,
    public_keys: dict[str, str],
    anchors=(),
    after: tuple[int, str] = (0, GENESIS),
) -> list[str]:
    """Problems found, first broken link first; an empty list means the stream verifies.

    ``events``: iterable of dicts with seq, prev_hash, hash, body, in seq order.
    ``checkpoints``: dicts with stream, seq, head, time, key_id, signature (hex), signed by
    one of ``public_keys`` (key id -> public key hex: the keys the caller trusts).
    ``anchors``: (seq, hash, where) already authenticated elsewhere (the platform heads).
    ``after``: (seq, hash) the events continue from, when the events before were archived
    (an archive bundle, or the stream after ``gonghui audit prune``): points below it are
    the archive's; a point at it must name its hash.
    """
    hashes, last, problem = check_links(stream, events, after)
    if problem:
        return [problem]
    if after[0]:
        hashes[after[0]] = after[1]
    for cp in checkpoints:
        message = checkpoint_message(cp["stream"], cp["seq"], cp["head"], cp["time"])
        if cp["key_id"] not in public_keys:
            return [f"第 {cp['seq']} 条处的签名检查点所用密钥 {cp['key_id']} 不在可信公钥之中"]
        if cp["stream"] != stream or not _signed(
            public_keys, cp["key_id"], message, cp["signature"]
        ):
            return [f"第 {cp['seq']} 条处的签名检查点无效"]
    points = [(cp["seq"], cp["head"], "签名检查点") for cp in checkpoints] + list(anchors)
    for seq, head, where in sorted(points, key=lambda p: p[0]):
        if seq < after[0]:
            continue
        if seq > last:
            return [f"链条被截短：{where}记录到第 {seq} 条，现仅有 {last} 条"]
        if hashes.get(seq) != head:
            return [f"第 {seq} 条与{where}不符（链条被改写并重新计算哈希）"]
    return []


# --- Platform heads ----------------------------------------------------------------------

HEAD_FIELDS = ("n", "time", "prev", "root", "streams")


def head_message(head: dict) -> bytes:
    return canonical({"kind": "gonghui.audit.head"} | {f: head[f] for f in HEAD_FIELDS}).encode()


def head_digest(head: dict) -> str:
    return hashlib.sha256(head_message(head)).hexdigest()


def streams_root(state: dict[str, list]) -> str:
    """SHA-256 of the sorted list [[stream, seq, hash], ...]: every stream's head at once."""
    listing = [[name, seq, head] for name, (seq, head) in sorted(state.items())]
    return hashlib.sha256(canonical(listing).encode()).hexdigest()


_HEX = frozenset("0123456789abcdef")


def _hex(value, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and set(value) <= _HEX


def _count(value) -> bool:
    return type(value) is int and value >= 1


def head_format_problem(head) -> str | None:
    """Why ``head`` is not shaped like a platform head (None if it is): every field present,
    of its type, hashes and signature in lower-case hex."""
    if not isinstance(head, dict):
        return "不是平台链头（格式错误）"
    if not _count(head.get("n")):
        return "序号格式错误"
    if not isinstance(head.get("time"), str) or not isinstance(head.get("key_id"), str):
        return "时间或密钥编号格式错误"
    if not _hex(head.get("prev"), 64) or not _hex(head.get("root"), 64):
        return "前序哈希或根哈希格式错误"
    if not _hex(head.get("signature"), 128):
        return "签名格式错误"
    streams = head.get("streams")
    if not isinstance(streams, dict) or not all(
        isinstance(name, str)
        and isinstance(mark, list)
        and len(mark) == 2
        and _count(mark[0])
        and _hex(mark[1], 64)
        for name, mark in streams.items()
    ):
        return "所列流链头格式错误"
    return None


def head_problem(head, previous, public_keys: dict[str, str], signed=None) -> str | None:
    """Why ``head`` is no well-formed, signed successor of ``previous`` (None: the first
    head), or None if it is. ``signed(key_id, message, signature)`` checks a signature (by
    default this file's pure-Python Ed25519 with ``public_keys``)."""
    problem = head_format_problem(head)
    if problem:
        return problem
    expected = 1 if previous is None else previous["n"] + 1
    if head["n"] != expected:
        return f"缺少第 {expected} 个平台链头（序号不连续）"
    if head["prev"] != (GENESIS if previous is None else head_digest(previous)):
        return "与前一个平台链头不相连"
    if head["key_id"] not in public_keys:
        return f"所用密钥 {head['key_id']} 不在可信公钥之中"
    signed = signed or (lambda kid, message, sig: _signed(public_keys, kid, message, sig))
    if not signed(head["key_id"], head_message(head), head["signature"]):
        return "签名无效"
    return None


def check_heads(heads, public_keys: dict[str, str], where: str = "平台链头", signed=None):
    """Walk platform heads in order from head 1: shape, numbering, chaining, signatures,
    roots. A malformed head is a problem like any other, never an exception.

    Returns (state: stream -> [seq, hash] after the last head, points: stream -> list of
    (seq, hash, label) every head signed, last head or None, first problem or None)."""
    state: dict[str, list] = {}
    points: dict[str, list] = {}
    last = None
    for head in heads:
        n = head.get("n") if isinstance(head, dict) else None
        label = f"{where}（#{n if _count(n) else '?'}）"
        problem = head_problem(head, last, public_keys, signed)
        if problem:
            return state, points, last, f"{label}：{problem}"
        for name, (seq, value) in head["streams"].items():
            before = state.get(name)
            if before is not None and seq < before[0]:
                return state, points, last, f"{label}：流 {name} 的序号倒退"
            state[name] = [seq, value]
            points.setdefault(name, []).append((seq, value, label))
        if streams_root(state) != head["root"]:
            return state, points, last, f"{label}：根哈希与所列各流链头不符"
        last = head
    return state, points, last, None


def read_jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def split_torn(data: bytes) -> tuple[bytes, bytes]:
    """(the complete lines, a torn last line): every line is written with its newline, so
    bytes after the last newline are a write cut short (a crash), not a line."""
    if not data or data.endswith(b"\n"):
        return data, b""
    complete, _, torn = data.rpartition(b"\n")
    return complete + (b"\n" if complete else b""), torn


def read_witness(data: bytes) -> tuple[list[dict], bytes]:
    """A witness file's heads, and the bytes of a torn last line, which are left out. Any
    other line that cannot be read is an error (ValueError)."""
    complete, torn = split_torn(data)
    return read_jsonl(complete), torn


def when(stamp: str) -> datetime:
    """A signed time ("2025-09-22T02:00:00.000000Z") as an aware datetime."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def beijing(stamp: str) -> str:
    return when(stamp).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S UTC+8")


# --- Bundles -----------------------------------------------------------------------------


class Trust:
    """The keys a run trusts, and where they came from."""

    def __init__(self, keys: dict[str, str], own_only: bool, notes: list[str]):
        self.keys, self.own_only, self.notes = keys, own_only, notes


def trusted_keys(bundle_keys: dict[str, str], fingerprints=(), published=None) -> Trust:
    """Keys from outside the bundle: ``published`` (key id -> public key hex) as given, and
    each key of the bundle whose fingerprint (or whole public key) is one of
    ``fingerprints``. With neither, the bundle's own keys, flagged ``own_only``."""
    if not fingerprints and published is None:
        return Trust(dict(bundle_keys), True, [])
    keys = dict(published or {})
    notes = []
    for given in fingerprints:
        wanted = _plain_hex(given)
        found = [
            kid
            for kid, pub in bundle_keys.items()
            if wanted in (_plain_hex(fingerprint(pub)), pub.lower())
        ]
        if not found:
            notes.append(f"数据包中没有指纹为 {given} 的公钥")
        for kid in found:
            keys[kid] = bundle_keys[kid]
    return Trust(keys, False, notes)


class BundleReport(NamedTuple):
    stream: str
    events: int
    problems: list[str]
    trust: Trust
    notes: list[str]
    end: dict | None  # the last checkpoint: where and when the bundle was signed


def _manifest_problem(manifest: dict, events: list, end: dict | None) -> str | None:
    """The manifest is not signed, but it must say what the bundle holds."""
    count = manifest.get("events")
    if type(count) is not int or count != len(events):
        return f"清单（manifest.json）写有 {count} 条事件，数据包中实有 {len(events)} 条"
    last = events[-1]["seq"] if events else 0
    if "seq" in manifest and manifest["seq"] != last:
        return f"清单写明签名到第 {manifest['seq']} 条，数据包的事件到第 {last} 条"
    if "signed_at" in manifest and manifest["signed_at"] != (end or {}).get("time"):
        return "清单所写的签名时间与数据包最后一个签名检查点不符"
    return None


def _against_witness(stream: str, witness: list[dict], end: dict):
    """Split what the (already checked) witness heads say of ``stream`` by the bundle's last
    checkpoint ``end``: (anchors at or below its seq, to compare with the events; the
    first head signed before ``end`` that lists more, i.e. the bundle was cut; the last
    head signed after it that lists more, i.e. the stream went on after the export)."""
    anchors, cut, later = [], None, None
    for head in witness:
        mark = head["streams"].get(stream)
        if mark is None:
            continue
        seq, value = mark
        label = f"见证的平台链头（#{head['n']}）"
        if seq <= end["seq"]:
            anchors.append((seq, value, label))
        elif when(head["time"]) <= when(end["time"]):
            cut = cut or (head, seq)
        else:
            later = (head, seq)
    return anchors, cut, later


def verify_bundle(path, fingerprints=(), published=None, witness=None) -> BundleReport:
    """The bundle checked with trusted keys, its manifest against its content, and against
    ``witness`` (platform heads, e.g. a copy of the witness file) when given."""
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        bundle_keys = json.loads(bundle.read("public_keys.json"))
        events = read_jsonl(bundle.read("events.jsonl"))
        checkpoints = read_jsonl(bundle.read("checkpoints.jsonl"))
    stream = manifest["stream"]
    trust = trusted_keys(bundle_keys, fingerprints, published)
    end = checkpoints[-1] if checkpoints else None
    notes = list(trust.notes)

    def report(*problems: str) -> BundleReport:
        return BundleReport(stream, len(events), list(problems), trust, notes, end)

    anchors, cut, later = [], None, None
    if witness is not None:
        _, _, _, problem = check_heads(witness, trust.keys, "见证的平台链头")
        if problem:
            return report(problem)
        if end is not None:
            anchors, cut, later = _against_witness(stream, witness, end)
    # An archive bundle (gonghui audit archive) continues the stream from an earlier signed
    # head, which it carries as its first checkpoint: (seq, hash) in the manifest's "after".
    after = tuple(manifest.get("after") or (0, GENESIS))
    if after[0] and not any(cp["seq"] == after[0] for cp in checkpoints):
        return report(f"数据包从第 {after[0]} 条之后开始，但没有该处的签名检查点")
    problems = check_stream(stream, events, checkpoints, trust.keys, anchors, after)
    if problems:
        return report(*problems)
    last = events[-1]["seq"] if events else 0
    if end is None or end["seq"] != last:
        return report(f"数据包末尾（第 {last} 条）没有签名检查点覆盖")
    problem = _manifest_problem(manifest, events, end)
    if problem:
        return report(problem)
    if cut:
        head, seq = cut
        return report(
            f"数据包被截短：见证的平台链头（#{head['n']}，{beijing(head['time'])}）在数据包"
            f"签名（{beijing(end['time'])}）之前已记录到第 {seq} 条，数据包只到第 {last} 条"
        )
    if later:
        head, seq = later
        notes.append(
            f"本流在导出之后继续增长：见证的平台链头（#{head['n']}，{beijing(head['time'])}）"
            f"记录到第 {seq} 条（数据包签名到第 {last} 条，这是一个较早的导出）"
        )
    return report()


OWN_KEYS_WARNING = """\
!!! WARNING: no trusted key was given (--key FINGERPRINT or --keys FILE).
!!! The signatures were checked with the public keys the bundle carries itself: whoever
!!! rewrote the bundle could have re-signed it with a key of their own. This run shows only
!!! that the bundle is self-consistent, NOT that the platform signed it."""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="verifier.py", description=__doc__.strip().splitlines()[0]
    )
    parser.add_argument("bundle")
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="FINGERPRINT",
        help="fingerprint of a trusted audit signing key (repeatable)",
    )
    parser.add_argument("--keys", metavar="FILE", help="published keys: {key id: public key hex}")
    parser.add_argument("--witness", metavar="FILE", help="a copy of the witness file (JSON lines)")
    args = parser.parse_args(argv[1:])
    torn = b""
    try:
        published = witness = None
        if args.keys:
            with open(args.keys, encoding="utf-8") as fh:
                published = json.load(fh)
        if args.witness:
            with open(args.witness, "rb") as fh:
                witness, torn = read_witness(fh.read())
        result = verify_bundle(args.bundle, args.key, published, witness)
    except (OSError, KeyError, TypeError, ValueError, AttributeError, zipfile.BadZipFile) as exc:
        # A damaged or doctored bundle (missing member, bad JSON or hex) fails like any other.
        print(
            f"FAILED {args.bundle}: 数据包或密钥文件无法读取或格式错误（{type(exc).__name__}: {exc}）"
        )
        return EXIT_FAILED
    if torn:
        print(f"NOTE 见证文件最后一行不完整（写入时中断，{len(torn)} 字节），已忽略")
    for note in result.notes:
        print(f"NOTE {note}")
    own_only = result.trust.own_only
    if own_only:
        print(OWN_KEYS_WARNING)
        print(OWN_KEYS_WARNING, file=sys.stderr)
    if result.problems:
        print(f"FAILED {result.stream}: {result.problems[0]}")
        return EXIT_FAILED
    how = "the bundle's OWN keys (untrusted)" if own_only else "trusted keys"
    witnessed = ", against the witness" if witness is not None else ""
    first = result.end["seq"] - result.events
    start = f" after seq {first} (an archive: the bundle before ends there)" if first else ""
    print(
        f"OK {result.stream}: {result.events} events{start}, signed up to seq {result.end['seq']} at "
        f"{beijing(result.end['time'])}, chain and signed checkpoints verified with {how}"
        f"{witnessed}"
    )
    return EXIT_OWN_KEYS if own_only else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv))
