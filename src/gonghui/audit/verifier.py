#!/usr/bin/env python3
"""Stand-alone verifier of a Gonghui audit bundle (审计数据包). Standard library only.

Usage::

    python verifier.py BUNDLE.zip

A bundle holds ``events.jsonl`` (one event a line: seq, prev_hash, hash, body),
``checkpoints.jsonl`` (signed heads of the stream) and ``public_keys.json`` (key id ->
Ed25519 public key, hex). The rules, which the platform itself uses (it imports
``canonical``, ``link_hash``, ``checkpoint_message`` and ``check_stream`` from this file):

* ``body`` is the event's canonical JSON: keys sorted, no spaces, UTF-8, no ASCII escaping.
* ``hash = SHA-256(prev_hash || "\\n" || body)`` in lower-case hex; the first event's
  ``prev_hash`` is 64 zeros; ``seq`` counts 1, 2, 3... and equals the body's ``seq``.
* A checkpoint signs ``canonical({"stream", "seq", "head", "time"})`` with Ed25519; each
  checkpoint's ``head`` must be the hash of event ``seq``, and the chain may not end
  before the last checkpoint (a chain cut short, or rewritten and re-hashed, is caught).

Exit status 0 when the bundle verifies, 1 with the first problem printed otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile

GENESIS = "0" * 64


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


# --- The chain ---------------------------------------------------------------------------


def check_stream(stream: str, events, checkpoints, public_keys: dict[str, str]) -> list[str]:
    """Problems found, first broken link first; an empty list means the stream verifies.

    ``events``: iterable of dicts with seq, prev_hash, hash, body, in seq order.
    ``checkpoints``: dicts with stream, seq, head, time, key_id, signature (hex).
    """
    problems: list[str] = []
    hashes: dict[int, str] = {}
    prev, expected_seq = GENESIS, 1
    for event in events:
        seq = event["seq"]
        if seq != expected_seq:
            problems.append(f"第 {expected_seq} 条事件缺失或顺序错乱（实际为第 {seq} 条）")
            return problems
        if event["prev_hash"] != prev:
            problems.append(f"第 {seq} 条事件的前序哈希与第 {seq - 1} 条不符（链条断裂）")
            return problems
        if link_hash(event["prev_hash"], event["body"]) != event["hash"]:
            problems.append(f"第 {seq} 条事件内容与其哈希不符（内容被修改）")
            return problems
        body = json.loads(event["body"])
        if body.get("seq") != seq or body.get("stream") != stream:
            problems.append(f"第 {seq} 条事件的序号或流名与内容不符")
            return problems
        hashes[seq] = event["hash"]
        prev, expected_seq = event["hash"], seq + 1
    last = expected_seq - 1
    for cp in checkpoints:
        key = public_keys.get(cp["key_id"])
        message = checkpoint_message(cp["stream"], cp["seq"], cp["head"], cp["time"])
        if (
            cp["stream"] != stream
            or key is None
            or not ed25519_verify(bytes.fromhex(key), message, bytes.fromhex(cp["signature"]))
        ):
            problems.append(f"第 {cp['seq']} 条处的签名检查点无效")
        elif cp["seq"] > last:
            problems.append(f"链条被截短：签名检查点记录到第 {cp['seq']} 条，现仅有 {last} 条")
        elif hashes.get(cp["seq"], cp["head"]) != cp["head"]:
            problems.append(f"第 {cp['seq']} 条与签名检查点不符（链条被改写并重新计算哈希）")
        if problems:
            return problems
    return problems


def verify_bundle(path: str) -> tuple[str, int, list[str]]:
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        keys = json.loads(bundle.read("public_keys.json"))
        events = [json.loads(line) for line in bundle.read("events.jsonl").splitlines() if line]
        checkpoints = [
            json.loads(line) for line in bundle.read("checkpoints.jsonl").splitlines() if line
        ]
    stream = manifest["stream"]
    return stream, len(events), check_stream(stream, events, checkpoints, keys)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[0])
        print("usage: python verifier.py BUNDLE.zip")
        return 2
    try:
        stream, count, problems = verify_bundle(argv[1])
    except (OSError, KeyError, TypeError, ValueError, zipfile.BadZipFile) as exc:
        # A damaged or doctored bundle (missing member, bad JSON or hex) fails like any other.
        print(f"FAILED {argv[1]}: 数据包无法读取或格式错误（{type(exc).__name__}: {exc}）")
        return 1
    if problems:
        print(f"FAILED {stream}: {problems[0]}")
        return 1
    print(f"OK {stream}: {count} events, chain and signed checkpoints verified")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
