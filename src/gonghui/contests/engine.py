"""A stage's results as one pure function of its record (成绩计算). Standard library only:
the notary's bundle ships this file with ``scoring.py`` and the verifier re-runs it.

A stage's **record** is plain data (what the bundle's ``record.json`` holds per stage)::

    {
      "scheme": {...},            # the marking scheme, below
      "scheme_version": 3,
      "rule": {"kind": "top", "n": 10},   # scoring.advancing; "challenge" takes its
                                          # pairs from the matches' seeds
      "entrants": ["007", "012", ...],    # who takes part in the stage
      "matches": [{"code": "A1", "seed": "003" or None, "entrants": ["007", "003"]}],
      "marks": [{"id": 1, "entrant": "007", "judge": "j4", "aspect": "M1", "value": "38.5",
                 "replaces": None}],
      "votes": [{"juror": "p17", "entrant": "007", "value": "88", "late": False}],
    }

A correction never changes a mark: it is a new mark whose ``replaces`` names the old one,
and only marks nobody replaced count. Late votes are recorded and never counted.

The **scheme**::

    {
      "aspects": [
        {"code": "M1", "name": "尺寸精度", "kind": "measurement", "max": "40",
         "part": "practical"},
        {"code": "J1", "name": "工艺规范", "kind": "judgement", "max": "30",
         "method": "trimmed_mean", "trim": {"5": 1, "7": 2}, "spread": "5",
         "min_judges": 3, "part": "practical", "descriptors": "…"},
        {"code": "D1", "name": "现场答辩", "kind": "judgement", "max": "20",
         "method": "mean", "part": "defence"},
      ],
      "weights": {"practical": 70, "public": 30},   # optional; else parts are summed
      "public": {"max": "100", "minimum": 25},      # optional: jurors' votes, counted
                                                    # jurors' mean is the "public" part
      "tie_chain": [["score", "desc"], ["practical", "desc"], ["M1", "desc"]],
    }

An aspect's marks from the judges who marked it are aggregated by its ``method``
(measurement aspects default to ``mean``, judgement aspects to ``trimmed_mean``); a judge
missing or recused leaves fewer marks, and a trimmed mean trims by the number of marks
there are (``scoring.trim_count``). A judgement aspect needs ``min_judges`` marks (3 by
default). A part is the sum of its aspects; the score is the parts weighted by
``weights`` (or their sum). Places follow ``tie_chain`` (keys: ``score``, a part, an
aspect); who advances follows ``rule``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from gonghui.contests import scoring
from gonghui.contests.scoring import SchemeError

KINDS = ("measurement", "judgement")
DEFAULT_METHOD = {"measurement": "mean", "judgement": "trimmed_mean"}
MIN_JUDGES = 3
PUBLIC = "public"
SCORE = "score"
ASCII_DIGITS = frozenset("0123456789")


def scheme_problems(scheme) -> dict[str, str]:
    """What is wrong with a scheme, field → message (empty when it can score)."""
    problems: dict[str, str] = {}
    if not isinstance(scheme, Mapping):
        return {"scheme": "评分规则应为对象"}
    aspects = scheme.get("aspects")
    if not isinstance(aspects, list) or not aspects:
        return {"aspects": "至少设置一个评分项"}
    codes: set[str] = set()
    parts: set[str] = set()
    for n, aspect in enumerate(aspects, start=1):
        where = f"aspects.{n}"
        if not isinstance(aspect, Mapping):
            problems[where] = "评分项应为对象"
            continue
        code = aspect.get("code")
        if not isinstance(code, str) or not code.strip() or code in (SCORE, PUBLIC):
            problems[f"{where}.code"] = "评分项代码不能为空，也不能是 score 或 public"
        elif code in codes:
            problems[f"{where}.code"] = f"评分项代码 {code} 重复"
        codes.add(code)
        if aspect.get("kind") not in KINDS:
            problems[f"{where}.kind"] = (
                "评分项类型应为客观测量（measurement）或主观评判（judgement）"
            )
        method = aspect.get("method", DEFAULT_METHOD.get(aspect.get("kind"), "mean"))
        if method not in scoring.METHODS:
            problems[f"{where}.method"] = f"未知的汇总方式：{method}"
        for name in ("max", "spread"):
            if name in aspect:
                try:
                    if scoring.mark(aspect[name]) < 0:
                        raise SchemeError
                except SchemeError:
                    problems[f"{where}.{name}"] = "应为非负数"
        if "max" not in aspect:
            problems[f"{where}.max"] = "请填写满分"
        trim = aspect.get("trim", {})
        if not isinstance(trim, Mapping) or not all(
            str(k).isdigit() and isinstance(v, int) and v >= 0 for k, v in trim.items()
        ):
            problems[f"{where}.trim"] = "去分规则应为 {裁判人数: 去掉最高、最低各几个}"
        part = aspect.get("part", "practical")
        if not isinstance(part, str) or not part or part in (SCORE, PUBLIC):
            problems[f"{where}.part"] = "分项名称不能为空，也不能是 score 或 public"
        else:
            parts.add(part)
    weights = scheme.get("weights")
    if weights is not None:
        if not isinstance(weights, Mapping) or not weights:
            problems["weights"] = "权重应为 {分项: 整数}"
        else:
            unknown = set(weights) - parts - {PUBLIC}
            if unknown:
                problems["weights"] = f"权重中的分项不存在：{'、'.join(sorted(unknown))}"
            elif any(
                isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights.values()
            ):
                problems["weights"] = "权重应为非负整数"
            elif sum(weights.values()) == 0:
                problems["weights"] = "权重之和为零"
    chain = scheme.get("tie_chain", [[SCORE, "desc"]])
    keys = codes | parts | {SCORE, PUBLIC}
    if (
        not isinstance(chain, list)
        or not chain
        or any(
            not isinstance(link, list | tuple)
            or len(link) != 2
            or link[0] not in keys
            or link[1] not in ("asc", "desc")
            for link in chain
        )
    ):
        problems["tie_chain"] = "并列处理规则应为 [[score 或分项或评分项, desc 或 asc], …]"
    return problems


def rule_problems(rule) -> dict[str, str]:
    """What is wrong with an advancing rule."""
    if not isinstance(rule, Mapping):
        return {"rule": "晋级规则应为对象"}
    kind = rule.get("kind")
    if kind == "top":
        n = rule.get("n")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            return {"rule.n": "晋级人数应为正整数"}
    elif kind == "threshold":
        try:
            scoring.mark(rule.get("min"))
        except SchemeError:
            return {"rule.min": "晋级分数线应为数字"}
    elif kind not in ("challenge", "none"):
        return {
            "rule.kind": "晋级规则应为前 N 名（top）、分数线（threshold）、挑战（challenge）或不晋级（none）"
        }
    return {}


def _check(scheme, rule) -> None:
    problems = scheme_problems(scheme) | rule_problems(rule)
    if problems:
        field, message = next(iter(problems.items()))
        raise SchemeError(f"{field}：{message}")


def effective_marks(marks: Iterable[Mapping]) -> list[Mapping]:
    """The marks that count: every mark no later mark replaces."""
    marks = list(marks)
    replaced = {m["replaces"] for m in marks if m.get("replaces") is not None}
    return [m for m in marks if m["id"] not in replaced]


def mark_problem(aspect: Mapping, value) -> str | None:
    """Why a mark cannot be recorded on ``aspect`` (None when it can)."""
    try:
        number = scoring.mark(value)
    except SchemeError:
        return "分数应为数字"
    if number < 0 or number > scoring.mark(aspect["max"]):
        return f"分数应在 0–{aspect['max']} 之间"
    if number.as_tuple().exponent < -3:
        return "分数最多保留三位小数"
    if not mark_text_ok(value if isinstance(value, str) else str(value)):
        return "分数应为阿拉伯数字（如 38.5），最多三位小数"
    return None


def mark_text_ok(text: str) -> bool:
    """A mark as a judge types it: ``^[0-9]{1,6}(\\.[0-9]{1,3})?$`` (surrounding blanks
    aside). Decimal would also take "٣", "1_0" or "1e1": they are refused."""
    whole, dot, fraction = text.strip().partition(".")
    return (
        1 <= len(whole) <= 6
        and set(whole) <= ASCII_DIGITS
        and (not dot or (1 <= len(fraction) <= 3 and set(fraction) <= ASCII_DIGITS))
    )


def spread_problems(scheme: Mapping, marks: Iterable[Mapping]) -> list[tuple[object, str, str]]:
    """(entrant, aspect, message) for every judgement aspect whose panel differs by more
    than its allowed spread, or has too few marks: such a sheet cannot be locked."""
    by = defaultdict(list)
    for m in effective_marks(marks):
        by[(m["entrant"], m["aspect"])].append(m["value"])
    aspects = _aspects(scheme)
    found = []
    for (entrant, code), values in sorted(by.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        aspect = aspects.get(code)
        if aspect is None or aspect["kind"] != "judgement":
            continue
        least = aspect.get("min_judges", MIN_JUDGES)
        if len(values) < least:
            found.append(
                (
                    entrant,
                    code,
                    f"{aspect.get('name', code)}只有 {len(values)} 名裁判评分（至少 {least} 名）",
                )
            )
        elif "spread" in aspect and not scoring.spread_ok(values, aspect["spread"]):
            found.append(
                (
                    entrant,
                    code,
                    f"{aspect.get('name', code)}裁判评分相差超过 {aspect['spread']} 分，需重新评分",
                )
            )
    return found


def _aspects(scheme: Mapping) -> dict[str, Mapping]:
    return {a["code"]: a for a in scheme["aspects"]}


def entrant_parts(scheme: Mapping, marks: Iterable[Mapping]) -> dict[object, dict[str, object]]:
    """entrant → {aspect code: aggregate, part: sum of its aspects, "judges:CODE": count}."""
    aspects = _aspects(scheme)
    by = defaultdict(list)
    for m in effective_marks(marks):
        if m["aspect"] not in aspects:
            raise SchemeError(f"评分项 {m['aspect']} 不在评分规则中")
        by[(m["entrant"], m["aspect"])].append(m["value"])
    out: dict[object, dict[str, object]] = defaultdict(dict)
    for (entrant, code), values in by.items():
        aspect = aspects[code]
        method = aspect.get("method", DEFAULT_METHOD[aspect["kind"]])
        trim = {int(k): v for k, v in aspect.get("trim", {}).items()}
        out[entrant][code] = scoring.aggregate(values, method, trim)
        out[entrant][f"judges:{code}"] = len(values)
    for values in out.values():
        parts: dict[str, list] = defaultdict(list)
        for code, aspect in aspects.items():
            if code in values:
                parts[aspect.get("part", "practical")].append(values[code])
        for part, scores in parts.items():
            values[part] = scoring.total(scores)
    return out


def public_scores(scheme: Mapping, votes: Iterable[Mapping], entrants: Iterable) -> dict:
    """entrant → the counted jurors' mean vote (on-time votes of jurors who voted on every
    entrant, or the scheme's minimum)."""
    entrants = list(entrants)
    cast: dict[object, dict[object, object]] = defaultdict(dict)
    for v in votes:
        if not v.get("late"):
            cast[v["juror"]][v["entrant"]] = v["value"]
    counted = scoring.counted_jurors(cast, entrants, (scheme.get("public") or {}).get("minimum"))
    out = {}
    for entrant in entrants:
        values = [cast[j][entrant] for j in counted if entrant in cast[j]]
        if values:
            out[entrant] = scoring.aggregate(values, "mean")
    return out


def has_public(scheme) -> bool:
    """Whether a scheme has a public jury's part (a ``public`` section or weight)."""
    if not isinstance(scheme, Mapping):
        return False
    return PUBLIC in scheme or PUBLIC in (scheme.get("weights") or {})


def stage_results(record: Mapping) -> list[dict]:
    """The stage's results from its record, in place order: ``[{"entrant", "score",
    "parts", "place", "advanced"}]`` (numbers as canonical text). Entrants without a
    complete set of marks are refused (the sheet is not ready)."""
    scheme, rule = record["scheme"], record.get("rule") or {"kind": "none"}
    _check(scheme, rule)
    entrants = list(record["entrants"])
    parts = entrant_parts(scheme, record.get("marks", ()))
    aspects = _aspects(scheme)
    part_names = sorted({a.get("part", "practical") for a in aspects.values()})
    weights = scheme.get("weights")
    uses_public = has_public(scheme)
    publics = public_scores(scheme, record.get("votes", ()), entrants) if uses_public else {}
    scores: dict[object, dict[str, object]] = {}
    for entrant in entrants:
        values = parts.get(entrant, {})
        missing = [code for code in aspects if code not in values]
        if missing:
            raise SchemeError(f"参赛人 {entrant} 的评分项 {'、'.join(missing)} 尚无分数")
        values = dict(values)
        if uses_public:
            values[PUBLIC] = publics.get(entrant, scoring.mark(0))
        if weights:
            values[SCORE] = scoring.weighted([(values[p], w) for p, w in sorted(weights.items())])
        else:
            values[SCORE] = scoring.total(values[p] for p in part_names)
        scores[entrant] = values
    chain = [tuple(link) for link in scheme.get("tie_chain", [[SCORE, "desc"]])]
    places = scoring.rank(scores, chain)
    if rule.get("kind") == "challenge":
        pairs = {
            e: m["seed"]
            for m in record.get("matches", ())
            if m.get("seed") is not None
            for e in m["entrants"]
            if e != m["seed"]
        }
        rule = {"kind": "challenge", "pairs": pairs}
    going = (
        set()
        if rule.get("kind") == "none"
        else set(scoring.advancing(places, {e: v[SCORE] for e, v in scores.items()}, rule))
    )
    return [
        {
            "entrant": entrant,
            "score": canonical_number(scores[entrant][SCORE]),
            "parts": {
                k: canonical_number(v) for k, v in sorted(scores[entrant].items()) if k != SCORE
            },
            "place": place,
            "advanced": entrant in going,
        }
        for entrant, place in places
    ]


def standardised(results_by_trade: Mapping[object, Iterable[Mapping]]) -> dict:
    """(trade, entrant) → T score, each trade's scores standardised on their own: how
    titles that compare trades rank their finalists."""
    out = {}
    for trade, results in results_by_trade.items():
        for entrant, t in scoring.standardise({r["entrant"]: r["score"] for r in results}).items():
            out[(trade, entrant)] = canonical_number(t)
    return out


def canonical_number(value) -> str:
    """A number (a mark, a score) as canonical text, as marks are stored and results
    published: every digit kept, no exponent, no trailing zeros ("38.50" → "38.5", zero is
    "0")."""
    number = scoring.mark(value)
    if number == 0:
        return "0"
    return format(number.normalize(scoring.CONTEXT), "f")
