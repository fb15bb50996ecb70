#!/usr/bin/env python3
"""The lottery draw (摇号) of the member-services giveaways, and its stand-alone verifier.
Standard library only.

Usage::

    python draw.py PUBLISHED.json               # re-run the draw and check the document
    python draw.py PUBLISHED.json --receipt R   # ... and show where receipt R stands

When a giveaway (普惠活动) has fewer items than applicants, members register (报名) during a
window and each registration is published only as a random receipt number (回执号), never a
name or card number. The platform draws with the functions of this very file and serves it
for download, so anyone can re-run the draw from the published document (公示) and get the
same result. The protocol (摇号流程):

1. Before registration opens, staff generate a random seed (随机种子) and publish only its
   commitment (种子承诺值), the SHA-256 of the seed: the seed is fixed, yet nobody can use it.
2. When registration closes, the registration list (报名名单) is frozen and its list hash
   (名单哈希) is published: no receipt can be added or removed afterwards.
3. At the draw, the seed is revealed and combined with the list hash and, optionally, a
   public random value (公开随机数) announced in advance, e.g. a given day's lottery result.
4. Every registration is ranked by the SHA-256 of the combined seed and its receipt number;
   the first N win (中签), the rest form the waitlist (候补) in that order.

The rule, exactly. Text is UTF-8; ``sha256(t)`` is the lower-case hex SHA-256 of the UTF-8
bytes of the text ``t``; ``+`` joins texts:

* seed: 64 lower-case hex characters (32 random bytes). ``commitment = sha256(seed)``, the
  hash of the 64-character text itself, so ``printf %s SEED | sha256sum`` reproduces it.
* receipt number: 12 characters of Crockford's base32 alphabet
  ``0123456789ABCDEFGHJKMNPQRSTVWXYZ`` (upper case; no I, L, O or U). Each appears once.
* list hash (``receipts_hash``): sort the receipts in plain string order, follow each with a
  line feed and hash the whole: ``sha256(R1 + "\\n" + R2 + "\\n" + ... + Rn + "\\n")``; no
  receipts hash the empty text. In a shell:
  ``printf '%s\\n' R1 R2 ... | LC_ALL=C sort | sha256sum``.
* combined seed (组合种子): ``combined = sha256(seed + ":" + list_hash + ":" + public_value)``,
  the public value exactly as published (nothing trimmed), the empty text when there is none.
* rank key (排序值) of a receipt: ``sha256(combined + ":" + receipt)``.
* order: the receipts by rank key ascending (compared as texts, which is the same as
  comparing the 32-byte values), equal keys (never seen in practice) by receipt. The first
  N are the winners in that order, the rest the waitlist in that order; when N is at least
  the number of receipts, everybody wins and the waitlist is empty.

The published document (公示) is a JSON object with ``commitment``, ``seed``,
``public_value`` (may be ""), ``receipts_hash``, ``receipts`` (list), ``winners_count``
(N), ``winners`` (list) and ``waitlist`` (list). ``verify`` checks that the commitment
matches the seed, that the list hash matches the receipts, and re-runs the draw: winners and
waitlist must equal the published ones, place by place. It cannot know what was announced
earlier: compare ``commitment`` and ``receipts_hash`` with the values published before
registration opened and when it closed.

Exit status: 0 when all checks pass, 1 when a problem is found (each is printed) or the
file cannot be read, 2 on wrong usage.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import secrets
import sys
from collections.abc import Iterable
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
RECEIPT_LENGTH = 12
FIELDS = (
    "commitment",
    "seed",
    "public_value",
    "receipts_hash",
    "receipts",
    "winners_count",
    "winners",
    "waitlist",
)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_RECEIPT = re.compile(f"[{ALPHABET}]{{{RECEIPT_LENGTH}}}")
# Crockford's reading rules, for receipts typed by a member: O is 0, I and L are 1.
_TYPED = str.maketrans({"O": "0", "I": "1", "L": "1", " ": None, "-": None})


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def new_seed() -> str:
    """A fresh seed: 32 random bytes as 64 lower-case hex characters."""
    return secrets.token_hex(32)


def new_receipt() -> str:
    """A fresh receipt number: 12 random characters of ``ALPHABET`` (60 bits)."""
    bits = secrets.randbits(5 * RECEIPT_LENGTH)
    return "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RECEIPT_LENGTH))


def is_seed(text) -> bool:
    return isinstance(text, str) and _HEX64.fullmatch(text) is not None


def is_receipt(text) -> bool:
    return isinstance(text, str) and _RECEIPT.fullmatch(text) is not None


def normalize_receipt(text: str) -> str:
    """A receipt number as a member may type it (lower case, spaces, dashes, O for 0, I or L
    for 1) in its published form. The result is not checked: see ``is_receipt``."""
    return text.upper().translate(_TYPED)


def _check_seed(seed) -> None:
    if not is_seed(seed):
        raise ValueError(f"the seed must be 64 lower-case hex characters, not {seed!r}")


def commitment(seed: str) -> str:
    """The seed's commitment (种子承诺值), published before registration opens."""
    _check_seed(seed)
    return sha256_hex(seed)


def _checked_and_sorted(receipts: Iterable[str]) -> list[str]:
    """The receipts in plain string order, after checking their format and uniqueness."""
    receipts = list(receipts)
    try:
        well_formed = all(map(_RECEIPT.fullmatch, receipts))
    except TypeError:  # not text
        well_formed = False
    if not well_formed:
        bad = next(receipt for receipt in receipts if not is_receipt(receipt))
        raise ValueError(
            f"bad receipt number {bad!r}: expected {RECEIPT_LENGTH} characters of {ALPHABET}"
        )
    ordered = sorted(receipts)
    if len(set(ordered)) != len(ordered):
        duplicate = next(a for a, b in zip(ordered, ordered[1:], strict=False) if a == b)
        raise ValueError(f"duplicate receipt number {duplicate!r}")
    return ordered


def _hash_sorted(ordered: list[str]) -> str:
    return sha256_hex("\n".join(ordered) + "\n" if ordered else "")


def list_hash(receipts: Iterable[str]) -> str:
    """The list hash (名单哈希) of the frozen registration list: sorted, one a line."""
    return _hash_sorted(_checked_and_sorted(receipts))


def combined_seed(seed: str, list_hash: str, public_value: str = "") -> str:
    """The combined seed (组合种子) the draw ranks by."""
    _check_seed(seed)
    if not isinstance(list_hash, str) or _HEX64.fullmatch(list_hash) is None:
        raise ValueError(f"the list hash must be 64 lower-case hex characters, not {list_hash!r}")
    if not isinstance(public_value, str):
        raise ValueError(f"the public value must be text, not {public_value!r}")
    return sha256_hex(f"{seed}:{list_hash}:{public_value}")


def rank_key(combined: str, receipt: str) -> str:
    """A receipt's rank key (排序值): the lower it is, the better the place."""
    return sha256_hex(f"{combined}:{receipt}")


@dataclass(frozen=True)
class Draw:
    list_hash: str
    combined: str
    winners: list[str]
    waitlist: list[str]


def _ordered(combined: str, ordered: list[str]) -> list[str]:
    """``ordered`` (receipts in string order) by (rank key, receipt): the sort is stable, so
    equal keys keep the receipts' order. The hash of the common prefix is computed once and
    copied; raw digests sort exactly as their hex texts do."""
    copy = hashlib.sha256(f"{combined}:".encode()).copy

    def key(receipt: str) -> bytes:
        digest = copy()
        digest.update(receipt.encode())
        return digest.digest()

    return sorted(ordered, key=key)


def draw(seed: str, receipts: Iterable[str], winners: int, public_value: str = "") -> Draw:
    """Draw ``winners`` receipts out of ``receipts`` (in any order); the rest, ranked, are
    the waitlist."""
    _check_seed(seed)
    if isinstance(winners, bool) or not isinstance(winners, int) or winners < 0:
        raise ValueError(f"the number of winners must be a whole number >= 0, not {winners!r}")
    ordered = _checked_and_sorted(receipts)
    digest = _hash_sorted(ordered)
    combined = combined_seed(seed, digest, public_value)
    ranked = _ordered(combined, ordered)
    return Draw(digest, combined, ranked[:winners], ranked[winners:])


def _first_difference(published: list, recomputed: list[str]) -> int | None:
    for index in range(max(len(published), len(recomputed))):
        mine = published[index] if index < len(published) else None
        theirs = recomputed[index] if index < len(recomputed) else None
        if mine != theirs:
            return index
    return None


def _compare(name: str, chinese: str, published: list, recomputed: list[str]) -> list[str]:
    index = _first_difference(published, recomputed)
    if index is None:
        return []
    shown = published[index] if index < len(published) else None
    wanted = recomputed[index] if index < len(recomputed) else None
    return [
        f"{name} differ from the re-run draw at place {index + 1}: published "
        f"{shown if shown is not None else '(none)'}, re-run gives "
        f"{wanted if wanted is not None else '(none)'} "
        f"({chinese}第 {index + 1} 位与重新摇号结果不符：公示为 "
        f"{shown if shown is not None else '（无）'}，重新计算为 "
        f"{wanted if wanted is not None else '（无）'}）"
    ]


def verify(published: dict) -> list[str]:
    """Problems found in a published draw document; an empty list means all checks pass."""
    if not isinstance(published, dict):
        return ["the document is not a JSON object (公示文件不是 JSON 对象)"]
    missing = [field for field in FIELDS if field not in published]
    if missing:
        return [f"missing field(s): {', '.join(missing)} (公示文件缺少字段：{'、'.join(missing)})"]
    problems: list[str] = []
    seed, receipts = published["seed"], published["receipts"]
    count, public_value = published["winners_count"], published["public_value"]

    if not is_seed(seed):
        problems.append(
            "seed is not 64 lower-case hex characters (种子格式错误，应为 64 位小写十六进制字符)"
        )
    elif published["commitment"] != commitment(seed):
        problems.append("commitment does not match the revealed seed (承诺值与公布的种子不符)")

    ordered = digest = None
    if not isinstance(receipts, list):
        problems.append("receipts is not a list (报名名单不是列表)")
    else:
        try:
            ordered = _checked_and_sorted(receipts)
            digest = _hash_sorted(ordered)
        except ValueError as exc:
            problems.append(f"receipts: {exc} (报名名单中有格式错误或重复的回执号)")
        else:
            if published["receipts_hash"] != digest:
                problems.append(
                    "receipts_hash does not match the published receipts "
                    "(名单哈希与公布的报名名单不符)"
                )

    runnable = is_seed(seed) and digest is not None
    if not isinstance(public_value, str):
        problems.append("public_value is not text (公开随机数应为文本)")
        runnable = False
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        problems.append("winners_count is not a whole number >= 0 (中签名额应为非负整数)")
        runnable = False
    for field, chinese in (("winners", "中签名单"), ("waitlist", "候补名单")):
        if not isinstance(published[field], list):
            problems.append(f"{field} is not a list ({chinese}不是列表)")
            runnable = False
    if not runnable:  # the draw cannot be re-run from malformed inputs
        return problems

    ranked = _ordered(combined_seed(seed, digest, public_value), ordered)
    problems += _compare("winners", "中签名单", published["winners"], ranked[:count])
    problems += _compare("waitlist", "候补名单", published["waitlist"], ranked[count:])
    return problems


def position(published: dict, receipt: str) -> tuple[str, int] | None:
    """Where a receipt stands in a published draw: ("winner", place) or ("waitlist", place),
    places counting from 1, or None when the receipt is in neither list. The receipt may be
    given as a member types it (see ``normalize_receipt``)."""
    code = normalize_receipt(receipt)
    for kind, field in (("winner", "winners"), ("waitlist", "waitlist")):
        listed = published.get(field)
        if isinstance(listed, list) and code in listed:
            return kind, listed.index(code) + 1
    return None


def main(argv: list[str] | None = None) -> int:
    """``python draw.py PUBLISHED.json [--receipt R]``; ``argv`` excludes the program name."""
    parser = argparse.ArgumentParser(
        prog="draw.py", description=__doc__.strip().splitlines()[0] if __doc__ else None
    )
    parser.add_argument("published", metavar="PUBLISHED.json", help="the published draw (公示)")
    parser.add_argument("--receipt", metavar="R", help="show the place of this receipt number")
    args = parser.parse_args(argv)
    if args.receipt is not None and not is_receipt(normalize_receipt(args.receipt)):
        parser.error(f"{args.receipt!r} is not a receipt number (回执号格式错误)")

    try:
        with open(args.published, encoding="utf-8-sig") as file:
            document = json.load(file)
    except (OSError, ValueError) as exc:
        print(
            f"FAILED: cannot read {args.published} (公示文件无法读取或格式错误): "
            f"{type(exc).__name__}: {exc}"
        )
        return 1

    problems = verify(document)
    for problem in problems:
        print(f"FAILED: {problem}")
    if not problems:
        print(
            f"OK: {len(document['winners'])} winners, {len(document['waitlist'])} on the "
            "waitlist, all checks pass"
        )
        print(
            f"Compare commitment {document['commitment']} and receipts_hash "
            f"{document['receipts_hash']} with the values announced before registration and "
            "at its close (请将承诺值与名单哈希与此前公布的数值核对)."
        )
    if args.receipt is not None and isinstance(document, dict):
        code = normalize_receipt(args.receipt)
        place = position(document, code)
        if place is None:
            print(f"receipt {code}: not in this draw (本次摇号中没有该回执号)")
        elif place[0] == "winner":
            print(f"receipt {code}: winner, place {place[1]} (中签，第 {place[1]} 名)")
        else:
            print(f"receipt {code}: waitlist, place {place[1]} (候补第 {place[1]} 位)")
    return 1 if problems else 0


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")  # a console that cannot show 中文
    sys.exit(main())
