#!/usr/bin/env python3
"""Stand-alone verifier of a Gonghui audit bundle (审计数据包). Standard library only.

Usage::

    python verifier.py BUNDLE.zip --key "1a2b 3c4d 5e6f 7a8b 9c0d 1e2f 3a4b 5c6d"
    python verifier.py BUNDLE.zip --keys published_keys.json [--witness audit-heads.jsonl]
    python verifier.py BUNDLE.zip --key "…" --algorithm sm          # an SM2/SM3 installation

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
``checkpoints.jsonl`` (signed heads of the stream), ``public_keys.json`` (key id -> public
key: ``sm2:`` and 65 bytes ``04 || x || y`` in hex, or ``ed25519:`` or bare hex for a raw
32-byte Ed25519 key) and ``manifest.json`` (which names the algorithms used). The rules,
which the platform itself uses (it imports them from this file):

* Two algorithm suites: ``intl`` (SHA-256, Ed25519) and ``sm`` (SM3 of GB/T 32905, SM2
  signatures of GB/T 32918 on its recommended curve, user ID ``1234567812345678`` as GM/T
  0009 prescribes, the signature ``r || s`` in 64 bytes). An event's suite is its body's
  ``alg`` (absent: ``intl``); a signature's (checkpoint or platform head) is its key's.
  The verifier checks only with the suites it is told to trust (``--algorithm``, default
  ``intl``): a bundle using any other is refused before anything else is reported.
* ``body`` is the event's canonical JSON: keys sorted, no spaces, UTF-8, no ASCII escaping.
* ``hash = H(prev_hash || "\\n" || body)`` in lower-case hex, H the event's suite's hash;
  the first event's ``prev_hash`` is 64 zeros; ``seq`` counts 1, 2, 3... and equals the
  body's ``seq``. A stream switched to another suite goes on from the last event of the
  old one: the events before are checked with the old hash, those after with the new.
* A checkpoint signs ``canonical({"stream", "seq", "head", "time"})`` with its key; each
  checkpoint's ``head`` must be the hash of event ``seq``, and the chain may not end
  before the last checkpoint (a chain cut short, or rewritten and re-hashed, is caught).
  A bundle ends at its last checkpoint (the export signs the head it exports).
* An archive bundle (old events moved off the database, docs/audit-retention.md) starts
  after an earlier signed head: its manifest's ``after`` is that [seq, hash], its first
  checkpoint signs it, and its first event links to it; the bundle before ends there.
* A platform head (``n``, ``time``, ``prev``, ``root``, ``streams``) signs, every minute,
  which streams moved since head ``n - 1`` (``streams``: name -> [seq, hash]); ``prev`` is
  the hash of head ``n - 1``'s signed message, ``root`` the hash of the canonical sorted
  list ``[[stream, seq, hash], ...]`` of every stream's head after this one, so a vanished
  stream or a cut tail changes it (both hashes: the suite of the head's key).
* A key's fingerprint is the hash (its suite's) of its raw public key, first 16 bytes, in
  groups of four hex digits.

Exit status 0 when the bundle verifies with trusted keys, 1 with the first problem printed
otherwise, 3 when it verifies only with the bundle's own keys (no ``--key``/``--keys``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import struct
import sys
import zipfile
import zlib
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

GENESIS = "0" * 64
EXIT_OK, EXIT_FAILED, EXIT_OWN_KEYS = 0, 1, 3
BEIJING = timezone(timedelta(hours=8), "UTC+8")


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# --- SM3 (GB/T 32905-2016), pure Python unless the local OpenSSL has it -------------------

_SM3_IV = (0x7380166F, 0x4914B2B9, 0x172442D7, 0xDA8A0600, 0xA96F30BC, 0x163138AA, 0xE38DEE4D)
_SM3_IV += (0xB0FB0E4E,)
_MASK = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    n %= 32
    return ((x << n) | (x >> (32 - n))) & _MASK


_SM3_T = [_rotl(0x79CC4519 if j < 16 else 0x7A879D8A, j) for j in range(64)]


def sm3_pure(data: bytes) -> bytes:
    """SM3 written out from the standard (used where hashlib has no 'sm3')."""
    bits = len(data) * 8
    data = data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + bits.to_bytes(8, "big")
    v = list(_SM3_IV)
    for off in range(0, len(data), 64):
        w = list(struct.unpack(">16I", data[off : off + 64]))
        for j in range(16, 68):
            x = w[j - 16] ^ w[j - 9] ^ _rotl(w[j - 3], 15)
            w.append(x ^ _rotl(x, 15) ^ _rotl(x, 23) ^ _rotl(w[j - 13], 7) ^ w[j - 6])
        a, b, c, d, e, f, g, h = v
        for j in range(64):
            a12 = _rotl(a, 12)
            ss1 = _rotl((a12 + e + _SM3_T[j]) & _MASK, 7)
            if j < 16:
                ff, gg = a ^ b ^ c, e ^ f ^ g
            else:
                ff, gg = (a & b) | (a & c) | (b & c), (e & f) | (~e & g)
            tt1 = (ff + d + (ss1 ^ a12) + (w[j] ^ w[j + 4])) & _MASK
            tt2 = (gg + h + ss1 + w[j]) & _MASK
            a, b, c, d = tt1, a, _rotl(b, 9), c
            e, f, g, h = tt2 ^ _rotl(tt2, 9) ^ _rotl(tt2, 17), e, _rotl(f, 19), g
        v = [x ^ y for x, y in zip(v, (a, b, c, d, e, f, g, h), strict=True)]
    return struct.pack(">8I", *v)


def _openssl_sm3():
    try:
        hashlib.new("sm3", b"abc")
    except ValueError:
        return None
    return lambda data: hashlib.new("sm3", data).digest()


sm3 = _openssl_sm3() or sm3_pure

# --- Algorithm suites --------------------------------------------------------------------

INTL, SM = "intl", "sm"
SUITES = {INTL: "SHA-256/Ed25519", SM: "SM3/SM2"}
_HASHES = {INTL: lambda data: hashlib.sha256(data).digest(), SM: sm3}
KEY_SUITES = {"ed25519": INTL, "sm2": SM}  # a public key's prefix -> its suite


def digest(data: bytes, suite: str = INTL) -> str:
    return _HASHES[suite](data).hex()


def event_suite(body: dict) -> str:
    """The suite an event is hashed with: its body's ``alg``, else ``intl``."""
    return body.get("alg", INTL)


def link_hash(prev_hash: str, body: str, suite: str = INTL) -> str:
    return _HASHES[suite](f"{prev_hash}\n{body}".encode()).hex()


def public_key(value: str) -> tuple[str, bytes]:
    """(suite, raw public key) of a published key: ``sm2:HEX``, ``ed25519:HEX`` or bare
    HEX (Ed25519). Raises ValueError for anything else."""
    kind, sep, raw = value.partition(":")
    if not sep:
        kind, raw = "ed25519", value
    if kind not in KEY_SUITES:
        raise ValueError(f"unknown key algorithm {kind!r}")
    return KEY_SUITES[kind], bytes.fromhex(raw)


def key_suite(public_keys: dict[str, str], key_id) -> str | None:
    """The suite of ``key_id``'s key, None if it is unknown or malformed."""
    value = public_keys.get(key_id) if isinstance(key_id, str) else None
    try:
        return None if value is None else public_key(value)[0]
    except (AttributeError, ValueError):
        return None


def untrusted(suites, trusted) -> str | None:
    """The refusal when ``suites`` (those a bundle or stream uses) are not all ``trusted``."""
    extra = sorted(set(suites) - set(trusted))
    if not extra:
        return None
    names = "、".join(f"{s}（{SUITES.get(s, '未知算法')}）" for s in extra)
    told = "、".join(sorted(trusted)) or "无"
    return (
        f"使用了未被信任的算法 {names}；本次只信任 {told}。确认该平台采用此算法后，"
        f"加 --algorithm {' --algorithm '.join(extra)} 再校验"
    )


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


def fingerprint(public_key_value: str) -> str:
    """What a person compares on paper: 32 hex digits in eight groups of four (the key's
    suite's hash of its raw public key)."""
    suite, raw = public_key(public_key_value)
    text = digest(raw, suite)[:32]
    return " ".join(text[i : i + 4] for i in range(0, 32, 4))


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


# --- SM2 signature verification (GB/T 32918.2-2016, section 7), pure Python -------------


class Curve(NamedTuple):
    """A prime-field curve y^2 = x^3 + ax + b with base point (gx, gy) of order n."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int


SM2_CURVE = Curve(  # the recommended curve, GB/T 32918.5-2017
    p=0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFF,
    a=0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_FFFFFFFF_00000000_FFFFFFFF_FFFFFFFC,
    b=0x28E9FA9E_9D9F5E34_4D5A9E4B_CF6509A7_F39789F5_15AB8F92_DDBCBD41_4D940E93,
    gx=0x32C4AE2C_1F198119_5F990446_6A39C994_8FE30BBF_F2660BE1_715A4589_334C74C7,
    gy=0xBC3736A2_F4F6779C_59BDCEE3_6B692153_D0A9877C_C62A4740_02DF32E5_2139F0A0,
    n=0xFFFFFFFE_FFFFFFFF_FFFFFFFF_FFFFFFFF_7203DF6B_21C6052B_53BBF409_39D54123,
)
SM2_DEFAULT_ID = b"1234567812345678"  # GM/T 0009-2012, when no other ID is agreed
_INFINITY = (0, 1, 0)


def _jdouble(c: Curve, pt):
    x, y, z = pt
    if not y or not z:
        return _INFINITY
    p = c.p
    yy = y * y % p
    s = 4 * x * yy % p
    zz = z * z % p
    m = (3 * x * x + c.a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    return (x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p)


def _jadd(c: Curve, pt, qt):
    """Jacobian addition (the points as (X, Y, Z), x = X/Z^2, y = Y/Z^3)."""
    if not pt[2]:
        return qt
    if not qt[2]:
        return pt
    p = c.p
    z1z1, z2z2 = pt[2] * pt[2] % p, qt[2] * qt[2] % p
    u1, u2 = pt[0] * z2z2 % p, qt[0] * z1z1 % p
    s1, s2 = pt[1] * qt[2] * z2z2 % p, qt[1] * pt[2] * z1z1 % p
    if u1 == u2:
        return _jdouble(c, pt) if s1 == s2 else _INFINITY
    h, r = u2 - u1, s2 - s1
    hh = h * h % p
    hhh, v = h * hh % p, u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    return (x3, (r * (v - x3) - s1 * hhh) % p, h * pt[2] * qt[2] % p)


def ec_twin_mul(c: Curve, k1: int, p1: tuple, k2: int, p2: tuple) -> tuple | None:
    """[k1]P1 + [k2]P2 in affine (x, y), None at infinity (Shamir's trick)."""
    a, b = (*p1, 1), (*p2, 1)
    both, acc = _jadd(c, a, b), _INFINITY
    for i in range(max(k1.bit_length(), k2.bit_length()) - 1, -1, -1):
        acc = _jdouble(c, acc)
        bit1, bit2 = k1 >> i & 1, k2 >> i & 1
        if bit1 or bit2:
            acc = _jadd(c, acc, both if bit1 and bit2 else a if bit1 else b)
    if not acc[2]:
        return None
    zi = pow(acc[2], -1, c.p)
    return (acc[0] * zi * zi % c.p, acc[1] * zi * zi * zi % c.p)


def _on_curve(c: Curve, pt) -> bool:
    x, y = pt
    return 0 <= x < c.p and 0 <= y < c.p and (y * y - x * x * x - c.a * x - c.b) % c.p == 0


def sm2_za(user_id: bytes, pub: tuple, curve: Curve = SM2_CURVE, hash_fn=sm3) -> bytes:
    """Z_A = H(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A)."""
    size = (curve.p.bit_length() + 7) // 8
    fields = (curve.a, curve.b, curve.gx, curve.gy, *pub)
    return hash_fn(
        (len(user_id) * 8).to_bytes(2, "big")
        + user_id
        + b"".join(v.to_bytes(size, "big") for v in fields)
    )


def sm2_verify(
    pub: tuple,
    message: bytes,
    r: int,
    s: int,
    user_id: bytes = SM2_DEFAULT_ID,
    curve: Curve = SM2_CURVE,
    hash_fn=sm3,
) -> bool:
    """GB/T 32918.2 verification of (r, s) over ``message`` by public key ``pub`` (x, y)."""
    if not (1 <= r < curve.n and 1 <= s < curve.n) or not _on_curve(curve, pub):
        return False
    t = (r + s) % curve.n
    if not t:
        return False
    e = int.from_bytes(hash_fn(sm2_za(user_id, pub, curve, hash_fn) + message), "big")
    point = ec_twin_mul(curve, s, (curve.gx, curve.gy), t, pub)
    return point is not None and (e + point[0]) % curve.n == r


def _sm2_check(raw_key: bytes, message: bytes, signature: bytes) -> bool:
    if len(raw_key) != 65 or raw_key[0] != 4 or len(signature) != 64:
        return False
    pub = (int.from_bytes(raw_key[1:33], "big"), int.from_bytes(raw_key[33:], "big"))
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    return sm2_verify(pub, message, r, s)


_VERIFY = {INTL: ed25519_verify, SM: _sm2_check}


def signature_valid(
    public_keys: dict[str, str], key_id: str, message: bytes, signature: str
) -> bool:
    """Whether ``signature`` (hex) is ``key_id``'s over ``message``, checked with the key's
    algorithm; anything malformed (not hex, not a string, unknown algorithm) is simply no
    valid signature."""
    key = public_keys.get(key_id) if isinstance(key_id, str) else None
    try:
        if key is None:
            return False
        suite, raw = public_key(key)
        return _VERIFY[suite](raw, message, bytes.fromhex(signature))
    except (AttributeError, TypeError, ValueError):
        return False


# --- The chain ---------------------------------------------------------------------------


def check_links(stream: str, events, after: tuple[int, str] = (0, GENESIS), suites=None):
    """Walk ``events`` (dicts with seq, prev_hash, hash, body, in seq order) on from the
    event ``after`` = (seq, hash), each hashed with its own suite, which must be one of
    ``suites`` (None: any). Returns (hashes by seq, last seq, first problem or None)."""
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
        body = json.loads(event["body"])
        suite = event_suite(body)
        if suite not in _HASHES or (suites is not None and suite not in suites):
            return hashes, seq - 1, f"第 {seq} 条事件{untrusted([suite], suites or ())}"
        if link_hash(event["prev_hash"], event["body"], suite) != event["hash"]:
            return hashes, seq - 1, f"第 {seq} 条事件内容与其哈希不符（内容被修改）"
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
    suites=None,
) -> list[str]:
    """Problems found, first broken link first; an empty list means the stream verifies.

    ``events``: iterable of dicts with seq, prev_hash, hash, body, in seq order.
    ``checkpoints``: dicts with stream, seq, head, time, key_id, signature (hex), signed by
    one of ``public_keys`` (key id -> public key: the keys the caller trusts).
    ``anchors``: (seq, hash, where) already authenticated elsewhere (the platform heads).
    ``after``: (seq, hash) the events continue from, when the events before were archived
    (an archive bundle, or the stream after ``gonghui audit prune``): points below it are
    the archive's; a point at it must name its hash. ``suites``: the algorithm suites
    trusted (None: any).
    """
    hashes, last, problem = check_links(stream, events, after, suites=suites)
    if problem:
        return [problem]
    if after[0]:
        hashes[after[0]] = after[1]
    for cp in checkpoints:
        message = checkpoint_message(cp["stream"], cp["seq"], cp["head"], cp["time"])
        if cp["key_id"] not in public_keys:
            return [f"第 {cp['seq']} 条处的签名检查点所用密钥 {cp['key_id']} 不在可信公钥之中"]
        suite = key_suite(public_keys, cp["key_id"])
        if suites is not None and suite not in suites:
            return [f"第 {cp['seq']} 条处的签名检查点{untrusted([suite], suites)}"]
        if cp["stream"] != stream or not signature_valid(
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


def head_digest(head: dict, suite: str = INTL) -> str:
    """The head's signed message hashed with ``suite`` (that of the head that links to it)."""
    return digest(head_message(head), suite)


def streams_root(state: dict[str, list], suite: str = INTL) -> str:
    """The hash of the sorted list [[stream, seq, hash], ...]: every stream's head at once."""
    listing = [[name, seq, head] for name, (seq, head) in sorted(state.items())]
    return digest(canonical(listing).encode(), suite)


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


def head_problem(
    head, previous, public_keys: dict[str, str], signed=None, suites=None
) -> str | None:
    """Why ``head`` is no well-formed, signed successor of ``previous`` (None: the first
    head), or None if it is. ``signed(key_id, message, signature)`` checks a signature (by
    default this file's pure-Python Ed25519 and SM2 with ``public_keys``); its key's suite
    must be one of ``suites`` (None: any)."""
    problem = head_format_problem(head)
    if problem:
        return problem
    expected = 1 if previous is None else previous["n"] + 1
    if head["n"] != expected:
        return f"缺少第 {expected} 个平台链头（序号不连续）"
    if head["key_id"] not in public_keys:
        return f"所用密钥 {head['key_id']} 不在可信公钥之中"
    suite = key_suite(public_keys, head["key_id"])
    if suite is None or (suites is not None and suite not in suites):
        return untrusted([suite or "?"], suites or ())
    if head["prev"] != (GENESIS if previous is None else head_digest(previous, suite)):
        return "与前一个平台链头不相连"
    signed = signed or (lambda kid, message, sig: signature_valid(public_keys, kid, message, sig))
    if not signed(head["key_id"], head_message(head), head["signature"]):
        return "签名无效"
    return None


def check_heads(
    heads, public_keys: dict[str, str], where: str = "平台链头", signed=None, suites=None
):
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
        problem = head_problem(head, last, public_keys, signed, suites)
        if problem:
            return state, points, last, f"{label}：{problem}"
        for name, (seq, value) in head["streams"].items():
            before = state.get(name)
            if before is not None and seq < before[0]:
                return state, points, last, f"{label}：流 {name} 的序号倒退"
            state[name] = [seq, value]
            points.setdefault(name, []).append((seq, value, label))
        if streams_root(state, key_suite(public_keys, head["key_id"])) != head["root"]:
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
            if wanted in (_plain_hex(fingerprint(pub)), _plain_hex(pub.rpartition(":")[2]))
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
    after: tuple = (0, GENESIS)  # the signed head the bundle continues from (its manifest)


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


def suites_used(events, checkpoints, keys: dict[str, str], heads=()) -> set[str]:
    """Every suite the events, the checkpoints' and the heads' keys use."""
    found = {event_suite(json.loads(e["body"])) for e in events}
    for signed in [*checkpoints, *heads]:
        suite = key_suite(keys, signed.get("key_id")) if isinstance(signed, dict) else None
        if suite:  # an unknown key is reported by the checks themselves
            found.add(suite)
    return found


# What reading a damaged or doctored bundle raises (not a zip, a member missing, bad JSON
# or hex): it fails verification like any other problem.
UNREADABLE = (
    OSError,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    RuntimeError,  # a member flagged encrypted; JSON nested past the recursion limit
    NotImplementedError,  # an unknown compression method
    zlib.error,  # damaged compressed data
    zipfile.BadZipFile,
)


def verify_bundle(
    path, fingerprints=(), published=None, witness=None, suites=(INTL,)
) -> BundleReport:
    """The bundle checked with trusted keys in the trusted algorithm ``suites`` (a bundle
    using any other is refused first, and nothing else is checked), its manifest against
    its content, and against ``witness`` (platform heads, e.g. a copy of the witness
    file) when given."""
    with zipfile.ZipFile(path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        bundle_keys = json.loads(bundle.read("public_keys.json"))
        events = read_jsonl(bundle.read("events.jsonl"))
        checkpoints = read_jsonl(bundle.read("checkpoints.jsonl"))
    stream = manifest["stream"]
    trust = trusted_keys(bundle_keys, fingerprints, published)
    end = checkpoints[-1] if checkpoints else None
    notes = list(trust.notes)
    # An archive bundle (gonghui audit archive) continues the stream from an earlier signed
    # head, which it carries as its first checkpoint: (seq, hash) in the manifest's "after".
    after = tuple(manifest.get("after") or (0, GENESIS))

    def report(*problems: str) -> BundleReport:
        return BundleReport(stream, len(events), list(problems), trust, notes, end, after)

    keys = bundle_keys | trust.keys
    own = suites_used(events, checkpoints, keys)  # the manifest speaks of the bundle alone
    refusal = untrusted(own | suites_used((), (), keys, witness or ()), suites)
    if refusal:
        return report(f"数据包{refusal}")
    if "algorithms" in manifest and sorted(manifest["algorithms"]) != sorted(own):
        return report(
            f"清单写明的算法 {manifest['algorithms']} 与数据包实际使用的 {sorted(own)} 不符"
        )
    anchors, cut, later = [], None, None
    if witness is not None:
        _, _, _, problem = check_heads(witness, trust.keys, "见证的平台链头", suites=suites)
        if problem:
            return report(problem)
        if end is not None:
            anchors, cut, later = _against_witness(stream, witness, end)
    if after[0] and not any(cp["seq"] == after[0] for cp in checkpoints):
        return report(f"数据包从第 {after[0]} 条之后开始，但没有该处的签名检查点")
    problems = check_stream(stream, events, checkpoints, trust.keys, anchors, after, suites)
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
    parser.add_argument(
        "--algorithm",
        action="append",
        choices=sorted(SUITES),
        metavar="SUITE",
        help="an algorithm suite to trust: intl (SHA-256/Ed25519) or sm (SM3/SM2); repeatable "
        "(a stream switched from one to the other needs both); default intl",
    )
    args = parser.parse_args(argv[1:])
    suites = tuple(args.algorithm or (INTL,))
    torn = b""
    try:
        published = witness = None
        if args.keys:
            with open(args.keys, encoding="utf-8") as fh:
                published = json.load(fh)
        if args.witness:
            with open(args.witness, "rb") as fh:
                witness, torn = read_witness(fh.read())
        result = verify_bundle(args.bundle, args.key, published, witness, suites)
    except UNREADABLE as exc:
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
        f"{witnessed}, algorithms {'+'.join(SUITES[s] for s in sorted(suites))} trusted"
    )
    return EXIT_OWN_KEYS if own_only else EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv))
