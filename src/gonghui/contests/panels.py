"""Drawing a match's judging panel (裁判组) from the judge pool. Standard library only, so the
notary's verifier re-runs the draw from the published record and gets the same panel.

The protocol is the lottery's (``perks/giveaways/draw.py``): before the draw the chief judge
publishes ``commitment(seed)``, the SHA-256 of a random 64-hex-character seed; at the draw the
seed is revealed, and anyone can check it against the commitment and re-run the draw.

The rule. Each judge of the pool gets the rank key ``sha256(seed + ":" + match + ":" +
judge)`` (UTF-8 text, lower-case hex); judges are taken in key order, skipping

* a judge from the employer of any entrant of the match (回避: recusal by employer),
* a judge who declared a relationship with an entrant of the match (``declared``),
* a judge from an employer already on the panel (at most one judge per employer),

until the panel has its size. A pool that cannot seat a full panel is refused, never
seated short.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping

SEED = re.compile(r"[0-9a-f]{64}")


class DrawError(ValueError):
    """A draw that cannot be made as asked (the message says why)."""


def _check_seed(seed: str) -> None:
    if not SEED.fullmatch(seed):
        raise DrawError("随机种子应为 64 位小写十六进制")


def commitment(seed: str) -> str:
    """What is published before the draw: the SHA-256 of the seed's text."""
    _check_seed(seed)
    return hashlib.sha256(seed.encode()).hexdigest()


def rank_key(seed: str, match: str, judge: str) -> str:
    return hashlib.sha256(f"{seed}:{match}:{judge}".encode()).hexdigest()


def draw_panel(
    *,
    seed: str,
    match: str,
    pool: Mapping[str, str],
    size: int,
    entrant_employers: Iterable[str] = (),
    declared: Iterable[str] = (),
) -> list[str]:
    """The panel of ``match`` in drawing order. ``pool``: judge → employer (both as the text
    the record publishes); ``declared``: judges who declared a relationship with an entrant
    of the match."""
    _check_seed(seed)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise DrawError("裁判组人数应为正整数")
    barred = set(entrant_employers)
    excused = set(declared)
    panel: list[str] = []
    seated_employers: set[str] = set()
    for judge in sorted(pool, key=lambda j: (rank_key(seed, match, j), j)):
        employer = pool[judge]
        if judge in excused or employer in barred or employer in seated_employers:
            continue
        panel.append(judge)
        seated_employers.add(employer)
        if len(panel) == size:
            return panel
    raise DrawError(f"裁判库中符合回避要求的裁判不足 {size} 人（只有 {len(panel)} 人）")
