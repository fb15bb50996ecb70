"""A programme's amount rules as data (资助标准), and what they decide. Standard library only:
a decision records the rule's version, and anyone holding the rule and the facts can
recompute the amount.

Three kinds of rule, each a JSON object staff edit (``problems`` says what is wrong with
one; amounts in fen):

* ``certificate`` (技能等级证书补贴)::

      {"kind": "certificate",
       "levels": {"一级": 200000, "二级": 100000, "三级": 80000},
       "aliases": {"高级技师": "一级", "技师": "二级", "高级工": "三级",
                   "高级社会工作者": "一级", "社会工作者": "二级"},
       "finalists": {"final": 10, "semi_final": 5, "level": "二级"}}

  a certificate's level (or an alias of one) gives the amount; a finalist of a listed
  competition (places 1–10 of a final; 1–5 where the top level was a semi-final) is
  treated as ``finalists.level``.

* ``illness`` (大病救助)::

      {"kind": "illness", "min": 200000, "max": 2000000,
       "bands": [{"from": 0, "amounts": {"一般困难": 200000, "特别困难": 500000}},
                 {"from": 5000000, "amounts": {...}}, ...]}

  the band is the last whose ``from`` (self-paid cost after insurance, government aid and
  the city's mutual medical plan) is at most the cost; the grade picks the amount; every
  amount lies within [min, max] (2,000–20,000元).

* ``fixed`` (慰问金, 困难帮扶, 工作室资助): ``{"kind": "fixed", "amount": 100000}``.

Every rule may carry ``"cap_per_year"``: the most one person receives from the programme in
a year (``over_cap``).
"""

from __future__ import annotations

from collections.abc import Mapping

KINDS = ("certificate", "illness", "fixed")


class RuleError(ValueError):
    """Facts the rule cannot decide on (the message says which and why)."""


def _amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def problems(rule) -> dict[str, str]:
    """What is wrong with a rule, field → message (empty when it can decide)."""
    if not isinstance(rule, Mapping):
        return {"rule": "规则应为对象"}
    kind = rule.get("kind")
    found: dict[str, str] = {}
    if kind == "certificate":
        levels = rule.get("levels")
        if not isinstance(levels, Mapping) or not levels:
            found["levels"] = "请设定各等级的补贴金额（分）"
        elif not all(_amount(v) for v in levels.values()):
            found["levels"] = "补贴金额应为正整数（分）"
        else:
            aliases = rule.get("aliases", {})
            if not isinstance(aliases, Mapping):
                found["aliases"] = "等级别名应为 {别名: 等级}"
            elif unknown := sorted(str(v) for v in set(aliases.values()) - set(levels)):
                found["aliases"] = f"对应的等级不存在：{'、'.join(unknown)}"
            finalists = rule.get("finalists")
            if finalists is None:
                pass
            elif not isinstance(finalists, Mapping) or not all(
                _amount(finalists.get(k)) for k in ("final", "semi_final")
            ):
                found["finalists"] = (
                    "竞赛入围名次应为 {final: 正整数, semi_final: 正整数, level: 等级}"
                )
            elif finalists.get("level") not in levels:
                found["finalists"] = "竞赛入围者对应的等级不存在"
    elif kind == "illness":
        low, high = rule.get("min"), rule.get("max")
        if not (_amount(low) and _amount(high) and low <= high):
            found["min"] = "救助金额上下限应为正整数（分），下限不高于上限"
        bands = rule.get("bands")
        if not isinstance(bands, list) or not bands:
            found["bands"] = "请设定自付费用分档"
        else:
            starts = [b.get("from") if isinstance(b, Mapping) else None for b in bands]
            if (
                starts[0] != 0
                or any(not isinstance(s, int) or isinstance(s, bool) for s in starts)
                or starts != sorted(set(starts))
            ):
                found["bands"] = "分档应从 0 起，按自付费用递增且不重复"
            elif "min" not in found:
                for n, band in enumerate(bands, start=1):
                    amounts = band.get("amounts")
                    if not isinstance(amounts, Mapping) or not amounts:
                        found[f"bands.{n}"] = "请设定各困难等级的救助金额"
                    elif not all(_amount(v) and low <= v <= high for v in amounts.values()):
                        found[f"bands.{n}"] = (
                            f"救助金额应在 {low // 100}–{high // 100} 元之间（整数分）"
                        )
    elif kind == "fixed":
        if not _amount(rule.get("amount")):
            found["amount"] = "金额应为正整数（分）"
    else:
        found["kind"] = "规则类型应为 certificate、illness 或 fixed"
    cap = rule.get("cap_per_year")
    if cap is not None and not _amount(cap):
        found["cap_per_year"] = "年度上限应为正整数（分）"
    return found


def _check(rule) -> None:
    found = problems(rule)
    if found:
        field, message = next(iter(found.items()))
        raise RuleError(f"{field}：{message}")


def certificate_level(rule: Mapping, level: str) -> str:
    """The rule's level for a certificate's level (an alias resolved)."""
    _check(rule)
    level = (level or "").strip()
    level = rule.get("aliases", {}).get(level, level)
    if level not in rule["levels"]:
        raise RuleError(f"证书等级“{level}”不在补贴范围内")
    return level


def certificate_amount(rule: Mapping, level: str) -> int:
    """The subsidy for a certificate of ``level`` (一级/高级技师 → 2,000元 ...)."""
    return rule["levels"][certificate_level(rule, level)]


def finalist_amount(rule: Mapping, place: int, top_level: str = "final") -> int:
    """The subsidy for a finalist of a listed competition: places 1–10 of a final, 1–5
    where the competition's top level was a semi-final (``top_level`` "semi_final")."""
    _check(rule)
    finalists = rule.get("finalists")
    if finalists is None:
        raise RuleError("本项目不补贴竞赛入围者")
    if top_level not in ("final", "semi_final"):
        raise RuleError("竞赛最高层级应为决赛（final）或半决赛（semi_final）")
    last = finalists[top_level]
    if isinstance(place, bool) or not isinstance(place, int) or not 1 <= place <= last:
        raise RuleError(f"名次应在第 1–{last} 名之内")
    return rule["levels"][finalists["level"]]


def illness_amount(rule: Mapping, self_paid: int, grade: str) -> int:
    """The aid for a self-paid cost (fen, after insurance, government aid and the mutual
    medical plan) and a hardship grade."""
    _check(rule)
    if isinstance(self_paid, bool) or not isinstance(self_paid, int) or self_paid < 0:
        raise RuleError("自付费用应为非负整数（分）")
    band = [b for b in rule["bands"] if b["from"] <= self_paid][-1]
    if grade not in band["amounts"]:
        raise RuleError(f"困难等级“{grade}”不在该分档的救助标准中")
    return band["amounts"][grade]


def fixed_amount(rule: Mapping) -> int:
    _check(rule)
    return rule["amount"]


def over_cap(rule: Mapping, received_this_year: int, amount: int) -> int:
    """By how many fen ``amount`` would take a person past the rule's yearly cap (0: not)."""
    cap = rule.get("cap_per_year")
    if cap is None:
        return 0
    return max(0, received_this_year + amount - cap)
