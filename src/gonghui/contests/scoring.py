"""How a competition's results follow from its raw marks (评分规则). Standard library only.

The platform computes every result with these functions, and the stand-alone verifier that a
notary's bundle carries re-runs the very same file, so a result is one pure function of the
recorded marks, votes and the scheme: nothing here reads a database, a clock or a setting.

Arithmetic is decimal, in one fixed context (34 significant digits, half-up), never binary
floating point: the same marks give the same digits on every machine. Marks arrive as text
or integers ("9.5", 10) and results are ``Decimal``; ``shown`` rounds one for display (two
places) without changing what ranks compare.

The pieces, each configured per aspect and stage by the competition's scheme:

* ``spread_ok``: a judgement aspect's marks from one panel may differ by at most the scheme's
  allowed spread before the sheet can be locked (else the judges re-score);
* ``aggregate``: a panel's marks on one aspect as ``sum``, ``mean`` or ``trimmed_mean`` —
  the k highest and the k lowest dropped, k by panel size (``trim_count``);
* ``weighted``: parts (experts, public jurors, oral defence) by their weights, e.g. 70/30;
* ``standardise``: scores of different trades on one scale (T = 50 + 10·z) where one title
  compares trades;
* ``counted_jurors``: the public jurors whose votes count (every entrant voted on, or the
  configured minimum);
* ``rank``: places by score, ties broken by a configured chain of further keys; entrants
  equal on every key share a place (1, 2, 2, 4);
* ``advancing``: who goes on from a stage by its rule (top N, a threshold, or the winner of
  each challenge between a challenger and a seed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache, reduce

CONTEXT = Context(prec=34, rounding=ROUND_HALF_UP)
METHODS = ("sum", "mean", "trimmed_mean")
SHOWN = Decimal("0.01")


class SchemeError(ValueError):
    """Marks or a scheme that the rules cannot score (the message says which and why)."""


def mark(value) -> Decimal:
    """A recorded mark as a decimal: an integer or its text ("9.5"); never a float, whose
    binary value is not the mark the judge entered. A Decimal passes through."""
    if type(value) is Decimal:
        if not value.is_finite():
            raise SchemeError(f"分数不是数字：{value!r}")
        return value
    if isinstance(value, bool | float):
        raise SchemeError(f"分数应为整数或小数文本：{value!r}")
    return _parse(value if isinstance(value, int) else str(value).strip())


@lru_cache(maxsize=8192)
def _parse(value: int | str) -> Decimal:
    """Marks repeat (a panel gives many 9.5s): each text is parsed once. Decimals are
    immutable, so sharing one is safe."""
    try:
        result = Decimal(value)
    except InvalidOperation:
        raise SchemeError(f"分数不是数字：{value!r}") from None
    if not result.is_finite():
        raise SchemeError(f"分数不是数字：{value!r}")
    return result


def _marks(values: Iterable) -> list[Decimal]:
    marks = [mark(v) for v in values]
    if not marks:
        raise SchemeError("没有分数")
    return marks


def shown(value: Decimal) -> Decimal:
    """A result as shown (two places, half up); ranks compare the unrounded value."""
    return value.quantize(SHOWN, rounding=ROUND_HALF_UP)


def spread_ok(values: Iterable, allowed) -> bool:
    """Whether a panel's marks on a judgement aspect lie within the allowed spread
    (highest minus lowest ≤ ``allowed``)."""
    marks = _marks(values)
    return CONTEXT.subtract(max(marks), min(marks)) <= mark(allowed)


def trim_count(panel_size: int, table: Mapping[int, int]) -> int:
    """How many of the highest and of the lowest marks a panel of ``panel_size`` drops:
    the entry of ``table`` (panel size → k) for the largest size not above it, 0 below all.
    At least one mark must remain."""
    sizes = [size for size in table if size <= panel_size]
    k = table[max(sizes)] if sizes else 0
    if k < 0 or 2 * k >= panel_size:
        raise SchemeError(f"{panel_size} 名裁判去掉最高、最低各 {k} 个后没有分数")
    return k


def aggregate(values: Iterable, method: str, trim: Mapping[int, int] | None = None) -> Decimal:
    """A panel's marks on one aspect, aggregated by ``method`` (``METHODS``)."""
    marks = _marks(values)
    if method == "sum":
        return _sum(marks)
    if method == "trimmed_mean":
        k = trim_count(len(marks), trim or {})
        marks = sorted(marks)[k : len(marks) - k]
    elif method != "mean":
        raise SchemeError(f"未知的汇总方式：{method}")
    return CONTEXT.divide(_sum(marks), Decimal(len(marks)))


def total(values: Iterable) -> Decimal:
    """Marks added up exactly."""
    return _sum(mark(v) for v in values)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return reduce(CONTEXT.add, values, Decimal(0))


def weighted(parts: Iterable[tuple[object, int]]) -> Decimal:
    """Parts (score, weight) combined by their weights: experts 70 and public jurors 30 give
    (70·experts + 30·jurors) / 100. Weights are whole numbers, at least one above zero."""
    pairs = [(mark(score), weight) for score, weight in parts]
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for _, w in pairs):
        raise SchemeError("权重应为非负整数")
    total = sum(w for _, w in pairs)
    if total == 0:
        raise SchemeError("权重之和为零")
    return CONTEXT.divide(_sum(CONTEXT.multiply(s, Decimal(w)) for s, w in pairs), Decimal(total))


def standardise(scores: Mapping[object, object]) -> dict[object, Decimal]:
    """Scores of one trade on the common scale T = 50 + 10·(x − mean) / σ, σ the population
    standard deviation of that trade's scores; a trade whose scores are all equal (σ = 0)
    puts everyone at 50. Titles that compare trades rank these, not the raw scores."""
    values = {key: mark(value) for key, value in scores.items()}
    if not values:
        return {}
    n = Decimal(len(values))
    mean = CONTEXT.divide(_sum(values.values()), n)
    variance = CONTEXT.divide(
        _sum(CONTEXT.power(CONTEXT.subtract(v, mean), 2) for v in values.values()), n
    )
    sigma = CONTEXT.sqrt(variance)
    if sigma == 0:
        return dict.fromkeys(values, Decimal(50))
    return {
        key: CONTEXT.add(
            Decimal(50),
            CONTEXT.divide(CONTEXT.multiply(Decimal(10), CONTEXT.subtract(v, mean)), sigma),
        )
        for key, v in values.items()
    }


def counted_jurors(
    votes: Mapping[object, Mapping[object, object]],
    entrants: Iterable[object],
    minimum: int | None = None,
) -> set:
    """The public jurors whose votes count: those who voted on every entrant of the session,
    or on at least ``minimum`` of them where the scheme sets one (``votes``: juror → entrant →
    vote)."""
    wanted = set(entrants)
    needed = len(wanted) if minimum is None else minimum
    return {juror for juror, cast in votes.items() if len(wanted & set(cast)) >= needed}


def rank(scores: Mapping[object, Mapping[str, object]], chain: Iterable[tuple[str, str]]):
    """Places: entrants ordered by the chain of keys (``(key, "desc" | "asc")``, the first
    being the score), a tie on one key broken by the next; entrants equal on every key
    share a place and the next place is skipped (1, 2, 2, 4). Returns ``[(entrant, place)]``
    in order, equal entrants in their given order."""
    chain = list(chain)
    if not chain or any(direction not in ("desc", "asc") for _, direction in chain):
        raise SchemeError("并列处理规则应为（项目，desc 或 asc）的序列")

    def key(entrant):
        values = scores[entrant]
        return tuple(
            mark(values[name]) * (-1 if direction == "desc" else 1) for name, direction in chain
        )

    ordered = sorted(scores, key=key)  # sorted() is stable: equal entrants keep their order
    places, previous = [], None
    for position, entrant in enumerate(ordered, start=1):
        current = key(entrant)
        place = places[-1][1] if current == previous else position
        places.append((entrant, place))
        previous = current
    return places


def advancing(
    places: Iterable[tuple[object, int]],
    scores: Mapping[object, object],
    rule: Mapping[str, object],
) -> list:
    """Who goes on from a stage, in place order, by the stage's ``rule``:

    * ``{"kind": "top", "n": N}``: every entrant placed N or better (a place shared across
      the cut takes all who share it: places 1, 2, 2 with N = 2 send three on);
    * ``{"kind": "threshold", "min": "80"}``: every entrant scoring at least ``min``;
    * ``{"kind": "challenge", "pairs": {challenger: seed}}``: of each pair, the challenger
      if it scored strictly more than its seed, else the seed (a tie keeps the title
      holder's place).
    """
    places = list(places)
    kind = rule.get("kind")
    if kind == "top":
        n = rule.get("n")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise SchemeError("晋级人数应为正整数")
        return [entrant for entrant, place in places if place <= n]
    if kind == "threshold":
        least = mark(rule.get("min"))
        return [entrant for entrant, _ in places if mark(scores[entrant]) >= least]
    if kind == "challenge":
        pairs = rule.get("pairs") or {}
        winners = {
            challenger if mark(scores[challenger]) > mark(scores[seed]) else seed
            for challenger, seed in pairs.items()
        }
        return [entrant for entrant, _ in places if entrant in winners]
    raise SchemeError(f"未知的晋级规则：{kind}")
