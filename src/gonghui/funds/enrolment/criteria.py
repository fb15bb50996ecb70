"""Who a run enrols, as data: the ``enrol`` part of an enrolment programme's rule version.

A rule of an enrolment programme (``Programme.entry == "enrol"``) is a ``funds.rules`` rule
(``fixed`` kind: the default amount) with an ``enrol`` object saying who is enrolled::

    {"kind": "fixed", "amount": 500000,
     "enrol": {"honours": ["beijing-model-worker", "national-model-worker"],
               "hardship": ["一般困难", "特别困难"],
               "min_age": 0,
               "amounts_by_grade": {"一般困难": 500000, "特别困难": 1200000},
               "retired": true}}

Who is enrolled in a run (``enrol.services.run_enrol``), all of:

* ``honours`` (registry Honour codes; empty or absent: no honour needed): an ACTIVE award
  (``registry.Award.status == active``) of one of them;
* ``hardship`` (grades; empty or absent: no hardship needed): a hardship record
  (``funds.Hardship``) of a listed grade open at the run's deadline (``since`` on or before
  it, ``until`` empty or on or after it);
* ``min_age``: aged at least that on the run's deadline (a birthday on 29 February counts
  as 28 February in other years); an unknown birth date is then not enrolled;
* where the person belongs, inside the run's union subtree: the grassroots union of their
  ACTIVE membership; or, for a person recorded as retired (``Person.status == retired``)
  with no active membership — model workers in their eighties have mostly left their
  workplace union — the union of their registry record (``Person.org_unit``), unless the
  rule says ``"retired": false``. Deceased and merged-away records are never enrolled.

The amount is ``amounts_by_grade[grade]`` where the grade is listed there, else the rule's
``amount``. Standard library only, like ``funds.rules``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

GRADES = ("一般困难", "特别困难")
KEYS = {"honours", "hardship", "min_age", "amounts_by_grade", "retired"}


def _amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def problems(rule) -> dict[str, str]:
    """What is wrong with a rule's enrolment part, field → message (empty: it can enrol)."""
    if not isinstance(rule, Mapping):
        return {"rule": "规则应为对象"}
    enrol = rule.get("enrol")
    if not isinstance(enrol, Mapping):
        return {"enrol": "按规则纳入的项目须在规则中设定纳入条件（enrol）"}
    found: dict[str, str] = {}
    if unknown := sorted(set(enrol) - KEYS):
        found["enrol"] = f"不认识的纳入条件：{'、'.join(map(str, unknown))}"
    honours = enrol.get("honours", [])
    if not isinstance(honours, list) or not all(isinstance(h, str) and h for h in honours):
        found["enrol.honours"] = "荣誉应为荣誉代码的列表"
    grades = enrol.get("hardship", [])
    if not isinstance(grades, list) or not all(g in GRADES for g in grades):
        found["enrol.hardship"] = f"困难等级应为 {'、'.join(GRADES)} 中的若干项"
        grades = []
    min_age = enrol.get("min_age", 0)
    if isinstance(min_age, bool) or not isinstance(min_age, int) or not 0 <= min_age <= 120:
        found["enrol.min_age"] = "最低年龄应为 0–120 的整数"
    by_grade = enrol.get("amounts_by_grade", {})
    if not isinstance(by_grade, Mapping) or not all(
        g in GRADES and _amount(v) for g, v in by_grade.items()
    ):
        found["enrol.amounts_by_grade"] = "按困难等级的金额应为 {困难等级: 正整数（分）}"
        by_grade = {}
    if not isinstance(enrol.get("retired", True), bool):
        found["enrol.retired"] = "是否纳入退休人员应为 true 或 false"
    if not _amount(rule.get("amount")):
        missing = [g for g in grades if g not in by_grade] if grades else ["（无困难等级）"]
        if missing:
            found["amount"] = (
                f"请设定金额（分）：{'、'.join(missing)} 没有按困难等级的金额，需要默认金额"
            )
    return found


def amount_cases(rule: Mapping) -> tuple[dict[str, int], int | None]:
    """(amount by grade, the default amount or None) for the listed grades."""
    enrol = rule["enrol"]
    by_grade = dict(enrol.get("amounts_by_grade", {}))
    default = rule.get("amount") if _amount(rule.get("amount")) else None
    grades = enrol.get("hardship") or []
    return {g: by_grade.get(g, default) for g in grades}, default


def born_by(deadline: date, min_age: int) -> date:
    """The latest birth date of someone aged ``min_age`` on ``deadline``."""
    try:
        return deadline.replace(year=deadline.year - min_age)
    except ValueError:  # 29 February in a year without one
        return deadline.replace(year=deadline.year - min_age, day=28)


def describe(rule: Mapping) -> list[str]:
    """The rule's conditions in words, for the run's page."""
    enrol = rule.get("enrol") or {}
    said = []
    if enrol.get("honours"):
        said.append("获得荣誉（有效）：" + "、".join(enrol["honours"]))
    if enrol.get("hardship"):
        said.append("困难认定（截止日有效）：" + "、".join(enrol["hardship"]))
    if enrol.get("min_age"):
        said.append(f"截止日年满 {enrol['min_age']} 周岁")
    said.append(
        "在会会员"
        + ("及无在会会籍的退休人员（按档案所属工会）" if enrol.get("retired", True) else "")
    )
    return said
