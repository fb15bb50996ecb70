"""What an application of each apply kind asks for and what it is worth: the facts checked
field by field, the amount from the programme's rule (``funds.rules``), and the dedupe key
that names what may be subsidised once. Standard library and the funds rules only: the
service reads the database (the person's hardship grade, a competition's result, a studio)
and hands the answers in.

The applications' own rule keys, beside those ``funds.rules`` reads (checked here, by
``rule_problems``):

* ``trades`` (certificate): ``{"2026": ["钳工", "焊工", ...]}`` — the trades subsidised in a
  year; a certificate of a trade not listed for the year is refused. Without the key every
  trade is subsidised.
* ``competitions`` (certificate): ``[{"id": 12, "top_level": "final"}, ...]`` — the contests
  whose finalists are subsidised (places 1–10 where the top level was a final, 1–5 where it
  was a semi-final: ``rules.finalist_amount``).

Every refusal is a ``Refused(field, message)``: the message names what is wrong and never
quotes a masked value.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from gonghui.common import formats, money
from gonghui.funds import rules

GRADES = ("一般困难", "特别困难")
TOP_LEVELS = ("final", "semi_final")
# The documents each kind asks for: facts key → label (each one file).
DOCUMENTS = {
    "certificate": {"certificate_doc": "证书照片或扫描件"},
    "finalist": {},
    "illness": {"diagnosis_doc": "诊断证明", "bills_doc": "费用票据", "hardship_doc": "困难证明"},
    # The grant is released against the studio's approved yearly report (training), whose
    # evidence the district and the city have reviewed: nothing to upload again.
    "studio": {},
}


class Refused(ValueError):
    """Facts that cannot be granted: ``field`` and the reason, in Chinese."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass
class Assessment:
    """What the facts are worth under one rule version."""

    amount: int
    dedupe_key: str
    facts: dict = field(default_factory=dict)


# --- The applications' own rule keys ---------------------------------------------------------


def rule_problems(rule) -> dict[str, str]:
    """What is wrong with the rule's application keys (``trades``, ``competitions``)."""
    found: dict[str, str] = {}
    if not isinstance(rule, Mapping):
        return {"rule": "规则应为对象"}
    trades = rule.get("trades")
    if trades is not None and not (
        isinstance(trades, Mapping)
        and all(str(y).isdigit() and len(str(y)) == 4 for y in trades)
        and all(
            isinstance(names, list) and all(isinstance(n, str) and n.strip() for n in names)
            for names in trades.values()
        )
    ):
        found["trades"] = "补贴工种应为 {年度: [工种, ...]}"
    competitions = rule.get("competitions")
    if competitions is not None:
        if not isinstance(competitions, list) or not all(
            isinstance(c, Mapping)
            and isinstance(c.get("id"), int)
            and not isinstance(c.get("id"), bool)
            and c.get("top_level") in TOP_LEVELS
            for c in competitions
        ):
            found["competitions"] = (
                "补贴竞赛应为 [{id: 竞赛编号, top_level: final 或 semi_final}, ...]"
            )
        elif rule.get("finalists") is None:
            found["competitions"] = "列出补贴竞赛时须设定竞赛入围者的补贴（finalists）"
    return found


def _rule_ok(rule) -> None:
    found = {**rules.problems(rule), **rule_problems(rule)}
    if found:
        key, message = next(iter(found.items()))
        raise Refused("programme", f"项目规则有误（{key}：{message}），请联系项目管理员")


# --- Normalising what people type ------------------------------------------------------------


def _text(facts: Mapping, key: str, label: str, *, limit: int = 120) -> str:
    value = unicodedata.normalize("NFKC", str(facts.get(key) or "")).strip()
    if not value:
        raise Refused(key, f"请填写{label}")
    if len(value) > limit:
        raise Refused(key, f"{label}过长（最多 {limit} 字）")
    return value


def certificate_no(text: str) -> str:
    """A certificate number as it is compared: full-width folded, upper case, without
    spaces, dashes and dots ("s 0001-2345" and "Ｓ00012345" are one certificate)."""
    folded = unicodedata.normalize("NFKC", text or "").upper()
    return re.sub(r"[\s\-_./·—]+", "", folded)


def folded(text: str) -> str:
    """A diagnosis as it is compared: NFKC, case folded, without spaces and punctuation."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _date(facts: Mapping, key: str, label: str, today: date) -> date:
    value = facts.get(key)
    if isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(str(value or "").strip())
        except ValueError:
            raise Refused(key, f"请填写{label}（年-月-日）") from None
    if day > today:
        raise Refused(key, f"{label}不能晚于今天")
    return day


# --- The kinds -------------------------------------------------------------------------------


def certificate(rule: Mapping, facts: Mapping, *, year: int, today: date) -> Assessment:
    """A skill certificate: its level (or an alias) gives the amount; the trade must be
    listed for the year where the rule lists trades; one subsidy per certificate number."""
    _rule_ok(rule)
    number = certificate_no(_text(facts, "certificate_no", "证书编号", limit=60))
    if len(number) < 4:
        raise Refused("certificate_no", "证书编号不完整")
    level = _text(facts, "level", "证书等级", limit=20)
    try:
        amount = rules.certificate_amount(rule, level)
        resolved = rules.certificate_level(rule, level)
    except rules.RuleError as exc:
        raise Refused("level", str(exc)) from None
    trade = _text(facts, "trade", "职业（工种）", limit=60)
    listed = rule.get("trades")
    if listed is not None:
        names = {unicodedata.normalize("NFKC", n).strip() for n in listed.get(str(year), [])}
        if not names:
            raise Refused("trade", f"{year}年的补贴工种尚未公布")
        if trade not in names:
            raise Refused("trade", f"工种“{trade}”不在{year}年的补贴工种目录中")
    issued = _date(facts, "issued_on", "发证日期", today)
    return Assessment(
        amount=amount,
        dedupe_key=f"cert:{number}"[:120],
        facts={
            "route": "certificate",
            "certificate_no": number,
            "level": level,
            "rule_level": resolved,
            "trade": trade,
            "issued_on": issued.isoformat(),
        },
    )


def listed_competition(rule: Mapping, competition_id) -> Mapping:
    """The rule's entry for a competition (``competitions``), or Refused."""
    _rule_ok(rule)
    try:
        wanted = int(competition_id)
    except (TypeError, ValueError):
        raise Refused("competition", "请选择竞赛") from None
    for entry in rule.get("competitions") or []:
        if entry["id"] == wanted:
            return entry
    raise Refused("competition", "该竞赛不在本项目补贴的竞赛名单中")


def finalist(
    rule: Mapping, *, competition_id: int, person_id: int, place: int | None, top_level: str
) -> Assessment:
    """A finalist of a listed competition: the place (read from the contests' published
    results) within the last subsidised place gives the finalists' level's amount."""
    _rule_ok(rule)
    if place is None:
        raise Refused("competition", "未找到申请人在该竞赛最高一级比赛中已公布的成绩")
    try:
        amount = rules.finalist_amount(rule, place, top_level)
    except rules.RuleError:
        last = rule["finalists"][top_level]
        stage = "决赛" if top_level == "final" else "半决赛"
        raise Refused(
            "competition", f"{stage}第{place}名不在补贴范围内（前{last}名可申请）"
        ) from None
    return Assessment(
        amount=amount,
        dedupe_key=f"final:{competition_id}:{person_id}",
        facts={
            "route": "finalist",
            "competition": competition_id,
            "place": place,
            "top_level": top_level,
            "rule_level": rule["finalists"]["level"],
        },
    )


def illness(
    rule: Mapping, facts: Mapping, *, person_id: int, grade_on_record: str, today: date
) -> Assessment:
    """Critical-illness aid: the self-paid cost (yuan text, after insurance, government aid
    and the mutual medical plan) and the hardship grade (by default the person's open
    hardship record's) pick the amount from the table; one aid per illness event."""
    _rule_ok(rule)
    text = str(facts.get("self_paid") or "").strip()
    if not text:
        raise Refused("self_paid", "请填写个人自付费用（元）")
    try:
        self_paid = money.fen(text)
    except money.MoneyError as exc:
        raise Refused("self_paid", f"个人自付费用：{exc}") from None
    if self_paid < 0:
        raise Refused("self_paid", "个人自付费用不能为负数")
    claimed = str(facts.get("grade") or "").strip()
    if grade_on_record and claimed and claimed != grade_on_record:
        raise Refused(
            "grade", f"困难等级应与困难认定记录一致（{grade_on_record}）；如情况变化，请先更新认定"
        )
    grade = grade_on_record or claimed
    if not grade:
        raise Refused("grade", "请选择困难等级（未找到申请人的困难认定记录）")
    if grade not in GRADES:
        raise Refused("grade", "困难等级应为一般困难或特别困难")
    diagnosis = _text(facts, "diagnosis", "诊断（疾病名称）", limit=100)
    if not folded(diagnosis):
        raise Refused("diagnosis", "请填写诊断（疾病名称）")
    event_date = _date(facts, "event_date", "确诊或住院日期", today)
    hospital = _text(facts, "hospital", "就诊医院", limit=100)
    try:
        amount = rules.illness_amount(rule, self_paid, grade)
    except rules.RuleError as exc:
        raise Refused("grade", str(exc)) from None
    low, high = rule["min"], rule["max"]
    if not low <= amount <= high:  # the rule's own check holds this; never pay outside it
        raise Refused("amount", f"救助金额应在 {formats.yuan(low)}–{formats.yuan(high)} 之间")
    key = f"illness:{person_id}:{event_date.isoformat()}:{folded(diagnosis)}"
    return Assessment(
        amount=amount,
        dedupe_key=key[:120],
        facts={
            "self_paid": self_paid,
            "grade": grade,
            "diagnosis": diagnosis,
            "event_date": event_date.isoformat(),
            "hospital": hospital,
        },
    )


def studio_year(facts: Mapping, today: date) -> int:
    value = str(facts.get("year") or "").strip()
    if not value.isdigit():
        raise Refused("year", "请填写资助年度")
    year = int(value)
    if not today.year - 1 <= year <= today.year + 1:
        raise Refused("year", f"资助年度应在 {today.year - 1}–{today.year + 1} 年之间")
    return year


def studio(rule: Mapping, *, programme_id: int, studio_id: int, year: int) -> Assessment:
    """A studio's grant for a year (a fixed sum): once per programme, studio and year."""
    _rule_ok(rule)
    if rule.get("kind") != "fixed":
        raise Refused("programme", "工作室资助项目的规则应为固定金额（fixed）")
    return Assessment(
        amount=rules.fixed_amount(rule),
        dedupe_key=f"studio:{programme_id}:{studio_id}:{year}",
        facts={"studio": studio_id, "year": year},
    )


def duplicate_message(kind_route: str) -> tuple[str, str]:
    """The field and the message for a duplicate (never quoting the number itself)."""
    return {
        "certificate": ("certificate_no", "该证书已申请过或已获补贴（每本证书只补贴一次）"),
        "finalist": ("competition", "申请人已就该竞赛的名次申请过或已获补贴"),
        "illness": ("event_date", "同一次疾病（同一确诊日期和诊断）已申请过或已获救助"),
        "studio": ("year", "该工作室本年度已申请过或已获本项目资助"),
    }[kind_route]
