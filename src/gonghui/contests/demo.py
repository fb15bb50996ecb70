"""Demo contests (工匠选树与技能竞赛), after the first 北京大工匠 and the district skills
contests:

* one finished 北京大工匠 edition of the city federation (``trades`` competitions, one per
  trade): rules uploaded, registration with no threshold (most entrants self-registered,
  a few nominated by their unions), closed; an expert pool (judges from employers no
  entrant works for, plus one who shares an employer with an entrant: an employer
  recusal, and one declared relationship), a chief referee, arbiters, a notary with their
  own Ed25519 key; every stage run by its defaults: 挑战者选拔赛 (panels drawn by commit
  and reveal, marks, one sheet over the spread corrected, sheets and results locked, one
  appeal upheld with its re-scoring applied and one dismissed, advance confirmed),
  种子选手评定 (the nominated: 28 seeds over 10 trades), 挑战赛 (each seed against its
  challengers), 终极挑战赛, 综合评审 (experts, defence, and 100 public jurors voting: a
  few skip an entrant and are not counted, one vote comes late); titles and nomination
  awards in the registry, studio offers; every milestone countersigned by the notary;
* one district contest in progress (朝阳区职工技能竞赛): 实操比拼 marked, its results
  locked (the live board shows them) and confirmed; 综合评审 marking, part of its sheets
  locked, with the judge login ``caipan`` on its panel; the member ``huiyuan`` entered.

Everything goes through the services, so it is audited like real work, each past step
replayed as at its moment (``_as_of``, as the perks demo does). Deterministic from ``rng``
in who registers, the marks and the votes; the panel draws' seeds come from ``secrets`` in
the services, as they must, so who sits on which panel differs from run to run (and the
places with it), and so does the notary's key, generated here and thrown away once the
milestones are countersigned."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from unittest import mock

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from gonghui.audit.actions import Action
from gonghui.audit.services import record
from gonghui.common.demo import DISTRICT_USERS, Login
from gonghui.common.errors import ValidationFailed
from gonghui.common.pii import id_check_digit, id_number_problem
from gonghui.common.workdays import SHANGHAI, today
from gonghui.contests.appeals.services import (
    appeal_file,
    appeal_rule,
    rescore_apply,
    rescore_preview,
)
from gonghui.contests.entry.services import entrant_nominate, entrant_register, registration_close
from gonghui.contests.judging.services import (
    draw_commit,
    mark_correct,
    mark_submit,
    match_create,
    panel_draw,
    recusals_by_employer,
    sheet_lock,
    stage_start,
)
from gonghui.contests.jury.services import juror_register, juror_seat, vote_cast
from gonghui.contests.models import (
    Competition,
    Entrant,
    Judge,
    Mark,
    Match,
    Milestone,
    Notary,
    Programme,
    Recusal,
    Result,
    Seat,
    Stage,
)
from gonghui.contests.notary.selectors import message
from gonghui.contests.notary.services import milestone_countersign, notary_register
from gonghui.contests.results.services import advance_confirm, results_lock, titles_award
from gonghui.contests.setup.services import (
    competition_create,
    competition_open,
    competition_rules_upload,
    judge_add,
    programme_create,
    recusal_declare,
    stage_update,
)
from gonghui.orgs.demo import demo_user
from gonghui.orgs.models import SEGMENT, OrgUnit
from gonghui.people.models import Person, Trade, Unit
from gonghui.registry.models import Honour

JUDGE = "caipan"  # an expert of the district contest, seated on its 综合评审 panel
NOTARY = "gongzheng"
MEMBER = "huiyuan"  # the perks demo's member login, entered in the district contest
CITY = "110000"
CHAOYANG = "110105"
# Trades of the edition, in order (``trades`` takes the first N of the catalogue's 12).
TRADES = [
    "数控机床操作工",
    "焊工",
    "钳工",
    "电工",
    "汽车维修工",
    "汽车装调工",
    "工程测量员",
    "轨道列车司机",
    "中式烹调师",
    "信息通信网络运行管理员",
    "砌筑工",
    "美发师",
]
DISTRICT_TRADE = "汽车维修工"
ENTRANTS = 30  # per trade of the edition
EMPLOYERS = 97  # the entrants' employers (the first edition's 335 came from 97 units)
EXPERTS = 16  # the edition's pool, each from an employer no entrant works for
JURORS = 100
SKIPPERS = 4  # jurors who skip one entrant of a review (not counted there)
NOMINATED_EXTRA = 1  # nominated per trade beyond its seeds (reviewed, not seeded)
PANEL = 5  # the challenges, the final and the review: a trimmed mean drops 1 of 5
HEAT_PANEL = 3  # a heat of the selection, the seeds' review, a district heat
HEAT = 10  # entrants per heat of the selection
SEEDS_PER_TEN_TRADES = 28
SPREAD_CORRECTED = "与其他裁判评分相差超过允许范围，复核评分细则后更正"


# --- The clock and what runs after a commit -----------------------------------------------


class Clock:
    """Run the services as at a past moment (``django.utils.timezone.now``: their rules
    and the times they write; the audit events keep their real time, as in the perks demo),
    and what their commits leave to run (the live board's snapshot, the notary's
    checkpoint at a milestone) at that moment, in order.

    In the command (autocommit) those run at each service's commit; when the demo is built
    inside an outer transaction (the tests' ``demo_built``) they would wait for a commit
    that never comes, so they are run after each step here, as
    ``captureOnCommitCallbacks(execute=True)`` does in a test. The patch is process-wide:
    for the single-threaded demo command only."""

    def __init__(self):
        self.connection = transaction.get_connection()
        self.start = len(self.connection.run_on_commit)

    def settle(self) -> None:
        conn = self.connection
        if not conn.in_atomic_block:
            return
        while len(conn.run_on_commit) > self.start:
            pending = conn.run_on_commit[self.start :]
            del conn.run_on_commit[self.start :]
            for _, callback, _robust in pending:
                callback()

    @contextmanager
    def at(self, moment: datetime):
        with mock.patch.object(timezone, "now", new=lambda: moment):
            yield
            self.settle()


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


# --- Marks ---------------------------------------------------------------------------------


def _half(value: float) -> str:
    """A mark to the half point, as judges give them."""
    return str((Decimal(str(value)) * 2).quantize(Decimal(1), ROUND_HALF_UP) / 2)


def _clamp(value: float, top: Decimal) -> float:
    return max(0.0, min(float(top), value))


def _aspect_marks(aspect: dict, quality: float, judges: int, rng) -> list[str]:
    """``judges`` realistic marks of one aspect for an entrant of ``quality`` (0–1): a
    measurement near the maximum; a judgement around the entrant's level, the judges
    within the scheme's spread of each other."""
    top = Decimal(aspect["max"])
    if aspect["kind"] == "measurement":
        return [_half(_clamp(float(top) * (0.84 + 0.15 * quality), top))]
    spread = float(aspect.get("spread", "4"))
    centre = float(top) * (0.45 + 0.5 * quality)
    reach = max(0.5, spread / 2 - 0.5)
    centre = min(max(centre, reach), float(top) - reach)
    return [_half(_clamp(centre + rng.uniform(-reach, reach), top)) for _ in range(judges)]


# --- The world the demo builds -------------------------------------------------------------


@dataclass
class Edition:
    clock: Clock
    rng: object
    fake: object
    organiser: object  # the city's 劳模工作部 staff: organiser, chief referee, arbitration
    programme: Programme
    competitions: list[Competition] = field(default_factory=list)
    quality: dict[int, float] = field(default_factory=dict)  # entrant pk → 0–1
    accounts: dict[int, object] = field(default_factory=dict)  # judge pk → user
    say: Callable[[str], None] = print


def _account(username: str, full_name: str, *, login: bool = False):
    """A user for a judge, a notary or an appellant: with the demo's password when it is a
    documented login, else one nobody can sign in with (it acts only in the demo)."""
    if login:
        return demo_user(username, full_name)
    User = get_user_model()
    user = User(username=username, first_name=full_name)
    user.set_unusable_password()
    user.save()
    return user


def _link_person(person: Person, user) -> None:
    """An entrant's own account (to appeal, to see their results): no service links a
    login to a person yet, so the link is written here with its event, as the perks demo
    does for its member."""
    Person.objects.filter(pk=person.pk).update(user=user)
    record(
        actor=None,
        action=Action.DEMO_MEMBER_LOGIN,
        obj=person,
        changes={"user": [None, user.get_username()]},
    )


def _rules_pdf(title: str) -> SimpleUploadedFile:
    """The rules document (竞赛规程) as a small generated PDF: one page of ASCII text (a
    PDF's base fonts have no Chinese), its Chinese title in the file's name."""
    stream = b"BT /F1 14 Tf 60 780 Td (Competition rules - demo document) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{n} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return SimpleUploadedFile(f"{title}竞赛规程.pdf", out.getvalue(), "application/pdf")


def _phone(rng) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def _age(rng) -> int:
    """Entrants' ages: mostly 25–55, a few young and a few old (17 to 84)."""
    roll = rng.random()
    if roll < 0.05:
        return rng.randrange(17, 22)
    if roll > 0.96:
        return rng.randrange(62, 85)
    return rng.randrange(24, 56)


# --- Stages --------------------------------------------------------------------------------


def _panel(match: Match) -> list[Judge]:
    return [
        s.judge
        for s in Seat.objects.filter(match=match, absent=False)
        .select_related("judge")
        .order_by("position")
    ]


def _draw(ed: Edition, match: Match, moment: datetime) -> list[Judge]:
    """The panel: the seed committed the evening before, revealed at the draw."""
    with ed.clock.at(moment - timedelta(hours=15)):
        draw_commit(actor=ed.organiser, match=match)
    with ed.clock.at(moment):
        panel_draw(actor=ed.organiser, match=match)
    return _panel(match)


def _mark_entrant(ed, stage, entrant, panel, moment, *, skip_judgement_of=None, off=None):
    """Every mark of ``entrant``'s sheet: measurements by the first judge, judgements by
    every judge of the panel (``skip_judgement_of``: a judge who has not marked yet).
    ``off``: (judge, aspect) whose first mark was off the panel's spread, then corrected
    by that judge with the reason."""
    q = ed.quality[entrant.pk]
    recused = set(Recusal.objects.filter(entrant=entrant).values_list("judge_id", flat=True))
    judges = [j for j in panel if j.pk not in recused]
    for aspect in stage.scheme["aspects"]:
        code = aspect["code"]
        marking = judges[:1] if aspect["kind"] == "measurement" else judges
        values = _aspect_marks(aspect, q, len(marking), ed.rng)
        for judge, value in zip(marking, values, strict=True):
            if judge == skip_judgement_of:
                continue
            key = f"demo-{stage.pk}-{entrant.number}-{judge.pk}-{code}"
            wrong = off == (judge.pk, code)
            first = value
            if wrong:
                top, spread = Decimal(aspect["max"]), Decimal(aspect["spread"])
                marks = [Decimal(v) for v in values]
                high = max(marks) + spread + 1
                first = str(high if high <= top else max(Decimal(0), min(marks) - spread - 1))
            with ed.clock.at(moment):
                marked = mark_submit(
                    actor=ed.accounts[judge.pk],
                    stage=stage,
                    entrant=entrant,
                    aspect=code,
                    value=first,
                    key=key,
                )
            if wrong:
                with ed.clock.at(moment + timedelta(minutes=6)):
                    mark_correct(
                        actor=ed.accounts[judge.pk],
                        mark=marked.mark,
                        value=value,
                        reason=SPREAD_CORRECTED,
                        key=key + "-c",
                    )
            moment += timedelta(seconds=20)
    return moment


def run_stage(
    ed: Edition,
    stage: Stage,
    day: date,
    matches: list[tuple[str, list[Entrant], Entrant | None]] = (),
    *,
    off=None,
    panel_size: int = PANEL,
    before_lock: Callable[[datetime], None] | None = None,
) -> datetime:
    """A stage from its matches to its results locked: each match (unless prepared by the
    previous stage's confirmation) with its panel drawn, marking started, every sheet
    marked and locked, the results locked. Returns the moment of the lock."""
    for code, entrants, seed in matches:
        with ed.clock.at(_at(day - timedelta(days=1), 16)):
            match_create(
                actor=ed.organiser,
                stage=stage,
                code=code,
                entrants=entrants,
                seed=seed,
                panel_size=panel_size,
            )
    panels = {}
    for match in Match.objects.filter(stage=stage).order_by("code"):
        panels[match.pk] = _draw(ed, match, _at(day, 8, 10))
    with ed.clock.at(_at(day, 8, 40)):
        stage_start(actor=ed.organiser, stage=stage)
    moment = _at(day, 9)
    order = []
    for match in Match.objects.filter(stage=stage).order_by("code"):
        for entrant in Entrant.objects.filter(entries__match=match).order_by("number"):
            wrong = None
            if off is not None and off[0] == entrant.pk:  # the panel's last judge errs
                wrong = (panels[match.pk][-1].pk, off[1])
            moment = _mark_entrant(ed, stage, entrant, panels[match.pk], moment, off=wrong)
            order.append(entrant)
    if before_lock is not None:
        before_lock(moment)
    moment = max(moment, _at(day, 16)) + timedelta(minutes=10)
    for entrant in order:
        with ed.clock.at(moment):
            sheet_lock(actor=ed.organiser, stage=stage, entrant=entrant)
        moment += timedelta(seconds=30)
    locked_at = moment + timedelta(minutes=15)
    with ed.clock.at(locked_at):
        results_lock(actor=ed.organiser, stage=stage)
    return locked_at


def confirm(ed: Edition, stage: Stage, moment: datetime) -> list[Entrant]:
    """The chief referee confirms the advancing list the rule computed, once the appeal
    window has passed; who advanced."""
    stage.refresh_from_db()
    going = list(
        Result.objects.filter(stage=stage, superseded_by__isnull=True, advanced=True)
        .select_related("entrant")
        .order_by("place", "entrant__number")
    )
    with ed.clock.at(moment):
        advance_confirm(actor=ed.organiser, stage=stage, advancing=[r.entrant_id for r in going])
    return [r.entrant for r in going]


def stages_of(competition: Competition) -> dict[str, Stage]:
    return {s.kind: s for s in Stage.objects.filter(competition=competition)}


# --- The edition ---------------------------------------------------------------------------


def _units(rng) -> tuple[list[Unit], list[Unit]]:
    """The entrants' employers (97) and the rest (the judges' come from these). Only units
    whose name no other unit has: an entrant types the name, and the registry finds the
    employer by it."""
    units = list(Unit.objects.filter(org_unit__isnull=False).order_by("pk"))
    names = Counter(Unit.objects.values_list("name", flat=True))
    units = [u for u in units if names[u.name] == 1]
    rng.shuffle(units)
    return units[:EMPLOYERS], units[EMPLOYERS:]


def _nominees(n: int, employers: list[Unit], rng) -> list[Person]:
    """People the unions nominate: on record with an employer and a birth date, of working
    age, each once; those who work for one of the entrants' employers first (the first
    edition's entrants came from 97 units)."""
    people = list(
        Person.objects.filter(employer__isnull=False, birth_date__isnull=False, user__isnull=True)
        .filter(birth_date__gte=date(1950, 1, 1), birth_date__lte=date(2004, 1, 1))
        .select_related("org_unit")
        .order_by("pk")
    )
    rng.shuffle(people)
    among = {u.pk for u in employers}
    people.sort(key=lambda p: p.employer_id not in among)
    return people[:n]


def district_staff() -> dict[str, object]:
    """The demo's district staff logins by their district's path (who nominate its people)."""
    users = {
        u.username: u for u in get_user_model().objects.filter(username__in=DISTRICT_USERS.values())
    }
    return {
        OrgUnit.objects.get(code=code).path: users[name]
        for code, name in DISTRICT_USERS.items()
        if name in users
    }


def nominator(person: Person, staff: dict[str, object], fallback):
    """The union staff who nominate a person: their district's, else the city's."""
    return staff.get(person.org_unit.path[: 2 * SEGMENT], fallback)


def _seeds_per_trade(trades: int) -> list[int]:
    """28 seeds over 10 trades: three per trade, two in as many trades as it takes."""
    per = [3] * trades
    fewer = 3 * trades - round(SEEDS_PER_TEN_TRADES * trades / 10)
    for n in range(min(fewer, trades)):
        per[-1 - 2 * n if 2 * n < trades else n] = 2
    return per


def _setup_edition(ed: Edition, trades: list[Trade], start: date, others: list[Unit]):
    """The competitions (rules uploaded, the seeds' rule and the review's voting window
    set, registration opened) and the judge pool (``others``: employers no entrant works
    for). Returns the registration's opening and close."""
    fake, org = ed.fake, ed.organiser
    opens, closes = _at(start, 9), _at(start + timedelta(days=30), 17)
    seeds = _seeds_per_trade(len(trades))
    with ed.clock.at(_at(start - timedelta(days=10), 10)):
        for trade in trades:
            competition = competition_create(
                actor=org,
                programme=ed.programme,
                trade=trade,
                registration_opens_at=opens,
                registration_closes_at=closes,
                venue="北京市职工技能实训基地",
                timetable="报名（30 天）→ 挑战者选拔赛、种子选手评定 → 挑战赛 → 终极挑战赛 → "
                "综合评审（专家评审、现场答辩、大众评委）→ 称号评定",
                titles=1,
                nominee_awards=1,
            )
            ed.competitions.append(competition)
    for competition, n_seeds in zip(ed.competitions, seeds, strict=True):
        stages = stages_of(competition)
        with ed.clock.at(_at(start - timedelta(days=9), 10)):
            competition_rules_upload(
                actor=org, competition=competition, upload=_rules_pdf(competition.name)
            )
            seeding = stages["seeding"]
            if seeding.rule.get("n") != n_seeds:
                stage_update(
                    actor=org,
                    stage=seeding,
                    name=seeding.name,
                    scheme=seeding.scheme,
                    rule={"kind": "top", "n": n_seeds},
                )
            review = stages["review"]
            day = start + timedelta(days=140)
            stage_update(
                actor=org,
                stage=review,
                name=review.name,
                scheme=review.scheme,
                rule=review.rule,
                starts_at=_at(day, 8),
                votes_open_at=_at(day, 14),
                votes_close_at=_at(day, 15, 30),
            )
        with ed.clock.at(_at(start - timedelta(days=1), 10)):
            competition_open(actor=org, competition=competition)

    # The judge pool: experts from employers no entrant works for, one who works where an
    # entrant does (recused from them by employer), the chief referee, the arbiters.
    pool_units = others[: EXPERTS + 3]
    with ed.clock.at(_at(start - timedelta(days=8), 10)):
        for n in range(EXPERTS):
            name = fake.name()
            user = _account(f"expert{n + 1:02d}", name)
            judge = judge_add(
                actor=org,
                programme=ed.programme,
                kind=Judge.Kind.EXPERT,
                name=name,
                employer=pool_units[n],
                trade=trades[n % len(trades)],
                user=user,
            )
            ed.accounts[judge.pk] = user
        judge_add(
            actor=org,
            programme=ed.programme,
            kind=Judge.Kind.CHIEF,
            name="裁判长" + fake.name(),
            employer=pool_units[EXPERTS],
            user=org,
        )
        for n in range(3):
            judge_add(
                actor=org,
                programme=ed.programme,
                kind=Judge.Kind.ARBITER,
                name=fake.name(),
                employer=others[EXPERTS + 1 + n],
            )
    return opens, closes


def _register(ed, competition, nominees, staff, units, opens, closes, *, shared, first_age):
    """≈30 entrants: most sign up themselves over the month (names, phones, ages and the
    employer typed on a phone), the union nominations among them."""
    rng, fake = ed.rng, ed.fake
    n_self = ENTRANTS - len(nominees)
    window = (closes - opens).total_seconds()
    moments = sorted(
        opens + timedelta(seconds=window * rng.random() ** 1.5) for _ in range(ENTRANTS)
    )
    signups = [("self", None)] * n_self + [("union", p) for p in nominees]
    rng.shuffle(signups)
    made = []
    for (route, person), moment in zip(signups, moments, strict=True):
        with ed.clock.at(moment):
            if route == "union":
                entrant = entrant_nominate(
                    actor=nominator(person, staff, ed.organiser),
                    competition=competition,
                    person=person,
                )
                ed.quality[entrant.pk] = rng.uniform(0.72, 0.97)
            else:
                # The first self-registered: the youngest or the oldest, and in the first
                # trade the one who works where an expert of the pool does.
                first = not any(e.route == Entrant.Route.SELF for e in made)
                employer = shared if (first and shared is not None) else rng.choice(units)
                entrant = entrant_register(
                    competition=competition,
                    name=fake.name(),
                    phone=_phone(rng),
                    age=first_age if first else _age(rng),
                    employer_name=employer.name,
                )
                ed.quality[entrant.pk] = rng.uniform(0.35, 0.95)
        made.append(entrant)
    with ed.clock.at(closes):
        registration_close(actor=ed.organiser, competition=competition)
    with ed.clock.at(closes + timedelta(hours=18)):
        recusals_by_employer(actor=ed.organiser, competition=competition)
    return made


def _appeals(ed: Edition, stage: Stage, locked_at: datetime, *, upheld: bool, n: int) -> None:
    """An entrant just below the cut appeals within the window; the arbitration group rules.
    Upheld: a judge's mark is re-scored through a batch, previewed, then applied (the
    results it supersedes are kept)."""
    stage.refresh_from_db()
    results = list(
        Result.objects.filter(stage=stage, superseded_by__isnull=True)
        .select_related("entrant__person")
        .order_by("place")
    )
    below = [r.entrant for r in results if not r.advanced and r.entrant.person.user_id is None]
    if not below:
        return
    entrant = below[0] if upheld else below[-1]
    user = _account(f"contest-appellant-{n}", entrant.person.name)
    _link_person(entrant.person, user)
    entrant.person.user_id = user.pk
    with ed.clock.at(locked_at + timedelta(minutes=35)):
        appeal = appeal_file(
            actor=user,
            stage=stage,
            entrant=entrant,
            text="本人对工艺规范项评分有异议：现场操作按作业指导书完成，请求复核录像并重新评定。"
            if upheld
            else "本人认为安全文明生产项扣分过重，请求复核。",
        )
    with ed.clock.at(locked_at + timedelta(minutes=80)):
        appeal_rule(
            actor=ed.organiser,
            appeal=appeal,
            upheld=upheld,
            ruling="经调阅现场录像，该选手工艺路线符合作业指导书，原评分偏低，裁定由原裁判复核重评。"
            if upheld
            else "经调阅现场录像与评分细则，扣分依据充分，申诉不成立。",
        )
    if not upheld:
        return
    top = Decimal(next(a["max"] for a in stage.scheme["aspects"] if a["code"] == "J1"))
    marks = Mark.objects.filter(
        stage=stage, entrant=entrant, aspect="J1", replaced_by__isnull=True
    ).order_by("pk")
    low = min(marks, key=lambda m: Decimal(m.value))
    raised = min(top, Decimal(low.value) + 3)
    if raised == Decimal(low.value):  # marked full already: the ruling lowers nothing
        return
    with ed.clock.at(locked_at + timedelta(minutes=90)):
        batch = rescore_preview(
            actor=ed.organiser,
            appeal=appeal,
            changes=[
                {"judge": low.judge_id, "entrant": entrant.pk, "aspect": "J1", "value": str(raised)}
            ],
        )
    with ed.clock.at(locked_at + timedelta(minutes=100)):
        rescore_apply(actor=ed.organiser, batch=batch)


def _challenges(seeds: list[Entrant], challengers: list[Entrant]):
    """Each seed faces its share of the challengers (a challenge pairs them)."""
    groups = {s.pk: [] for s in seeds}
    for n, challenger in enumerate(challengers):
        groups[seeds[n % len(seeds)].pk].append(challenger)
    return [
        (f"T{n}", [seed, *groups[seed.pk]], seed)
        for n, seed in enumerate(seeds, start=1)
        if groups[seed.pk]
    ]


def _jury(ed: Edition, moment: datetime, avoid: set[str]) -> list[Judge]:
    """100 public jurors recruited from society: resident IDs made up but valid (kept by
    the platform only as a keyed hash), seated with their voting pass."""
    rng, fake = ed.rng, ed.fake
    jurors, seen = [], set()
    walks = ["退休职工", "社区志愿者", "个体经营", "在校学生", "自由职业"]
    with ed.clock.at(moment):
        while len(jurors) < JURORS:
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 42))
            male = rng.random() < 0.5
            region = rng.choice(("110101", "110102", "110105", "110106", "110108"))
            seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
            body = f"{region}{born:%Y%m%d}{seq:03d}"
            number = body + id_check_digit(body)
            if number in seen or id_number_problem(number):
                continue
            seen.add(number)
            employer = rng.choice(walks) if rng.random() < 0.4 else fake.company()
            if employer in avoid:
                employer = rng.choice(walks)
            jurors.append(
                juror_register(
                    actor=ed.organiser,
                    programme=ed.programme,
                    name=fake.name(),
                    id_number=number,
                    employer_name=employer,
                )
            )
    with ed.clock.at(moment + timedelta(days=1)):
        for juror in jurors:
            juror_seat(actor=ed.organiser, juror=juror)
    return jurors


def _votes(ed: Edition, stage: Stage, jurors: list[Judge], skippers: dict, late) -> None:
    """Every seated juror votes on every entrant of the review, on time, except the
    skippers' one entrant each; ``late``: (juror, entrant) voting after the close."""
    entrants = list(Entrant.objects.filter(entries__stage=stage).order_by("number"))
    opens, closes = stage.votes_open_at, stage.votes_close_at
    span = (closes - opens).total_seconds()
    for juror in jurors:
        for entrant in entrants:
            if skippers.get(juror.pk) == entrant.pk:
                continue
            is_late = late == (juror.pk, entrant.pk)
            moment = (
                closes + timedelta(minutes=3)
                if is_late
                else opens + timedelta(seconds=span * ed.rng.random() * 0.95)
            )
            value = round(max(40, min(100, ed.quality[entrant.pk] * 100 + ed.rng.uniform(-12, 8))))
            with ed.clock.at(moment):
                try:
                    vote_cast(
                        juror=juror,
                        stage=stage,
                        entrant=entrant,
                        value=str(value),
                        key=f"demo-vote-{stage.pk}-{juror.pk}-{entrant.pk}",
                    )
                except ValidationFailed:
                    if not is_late:
                        raise  # the late one is recorded as refused: anything else is a bug


def _countersign(ed: Edition, notary_user, key: Ed25519PrivateKey) -> int:
    """The notary countersigns every milestone not yet signed (on their own machine: the
    signature is made with their private key, here, and only the signature is sent)."""
    signed = 0
    for milestone in (
        Milestone.objects.filter(competition__programme=ed.programme, countersigned_at__isnull=True)
        .select_related("competition")
        .order_by("competition_id", "seq")
    ):
        signature = key.sign(message(milestone)).hex()
        milestone_countersign(actor=notary_user, milestone=milestone, signature=signature)
        signed += 1
    return signed


def _edition(clock, fake, rng, trades: int, staff: dict, say) -> Edition:
    User = get_user_model()
    organiser = User.objects.get(username="laomo")
    city = OrgUnit.objects.get(code=CITY)
    start = today() - timedelta(days=200)  # registration opens
    chosen = [Trade.objects.get(name=name) for name in TRADES[: max(1, min(trades, len(TRADES)))]]
    with clock.at(_at(start - timedelta(days=20), 10)):
        programme = programme_create(
            actor=organiser,
            org_unit=city,
            name=f"{today().year}年北京大工匠选树",
            year=today().year,
            edition=5,
            kind=Programme.Kind.TITLE,
            title_honour=Honour.objects.get(code="beijing-master-craftsman"),
            nominee_honour=Honour.objects.get(code="beijing-master-craftsman-nominee"),
            description="报名不设门槛：个人自荐与组织推荐；挑战者选拔赛、种子选手评定、挑战赛、"
            "终极挑战赛、综合评审（专家评审、现场答辩、100 名大众评委），公证处全程公证。",
        )
    ed = Edition(clock, rng, fake, organiser, programme, say=say)
    seeds = _seeds_per_trade(len(chosen))
    units, others = _units(rng)
    nominated = _nominees(sum(seeds) + NOMINATED_EXTRA * len(chosen), units, rng)
    # The judges' employers: none an entrant works for (the nominees' employers included).
    taken = {u.pk for u in units} | {p.employer_id for p in nominated}
    others = [u for u in others if u.pk not in taken]
    opens, closes = _setup_edition(ed, chosen, start, others)
    # The notary's own key: generated on "their machine", only the public key registered.
    notary_key = Ed25519PrivateKey.generate()
    public = notary_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    notary_user = _account(NOTARY, "公证员" + fake.name(), login=True)
    with clock.at(_at(start - timedelta(days=5), 10)):
        notary_register(
            actor=organiser,
            programme=programme,
            user=notary_user,
            name=notary_user.first_name.removeprefix("公证员"),
            office="北京市长安公证处",
            public_key=public,
        )
    # One expert works where an entrant of the first trade does (recused from them by
    # employer), and one declares a relationship with an entrant (回避).
    shared_unit = units[0]
    with clock.at(_at(start - timedelta(days=8), 11)):
        name = fake.name()
        user = _account("expert-shared", name)
        shared = judge_add(
            actor=organiser,
            programme=programme,
            kind=Judge.Kind.EXPERT,
            name=name,
            employer=shared_unit,
            trade=chosen[0],
            user=user,
        )
        ed.accounts[shared.pk] = user
    say(f"  工匠选树：{programme.name}，{len(chosen)} 个工种，报名中…")
    at = 0
    entrants: dict[int, list[Entrant]] = {}
    for n, competition in enumerate(ed.competitions):
        mine = nominated[at : at + seeds[n] + NOMINATED_EXTRA]
        at += len(mine)
        entrants[competition.pk] = _register(
            ed,
            competition,
            mine,
            staff,
            units,
            opens,
            closes,
            shared=shared_unit if n == 0 else None,
            first_age=(17, 84)[n % 2],
        )
    first = ed.competitions[0]
    experts = [
        j
        for j in Judge.objects.filter(programme=programme, kind=Judge.Kind.EXPERT).order_by("pk")
        if j.pk != shared.pk
    ]
    declarer = experts[-1]
    related = next(e for e in entrants[first.pk] if e.route == Entrant.Route.SELF and e.number > 1)
    with clock.at(closes + timedelta(days=1)):
        recusal_declare(
            actor=organiser, judge=declarer, entrant=related, note="师徒关系（裁判本人申报）"
        )
    # 挑战者选拔赛 and 种子选手评定, side by side.
    day = closes.date() + timedelta(days=10)
    titled_day = day + timedelta(days=110)
    for n, competition in enumerate(ed.competitions):
        stages = stages_of(competition)
        mine = entrants[competition.pk]
        selfs = [e for e in mine if e.route == Entrant.Route.SELF]
        count = -(-len(selfs) // HEAT)
        heats = [(f"S{k + 1}", selfs[k::count], None) for k in range(count)]
        # One sheet first over the spread, corrected by its judge (the first trade).
        off = (selfs[len(selfs) // 2].pk, "J1") if n == 0 else None
        locked_at = run_stage(ed, stages["selection"], day, heats, off=off, panel_size=HEAT_PANEL)
        if n == 0:
            _appeals(ed, stages["selection"], locked_at, upheld=True, n=1)
        if n == min(1, len(ed.competitions) - 1):
            _appeals(ed, stages["selection"], locked_at, upheld=False, n=2)
        challengers = confirm(ed, stages["selection"], locked_at + timedelta(hours=3))
        nominated_here = [e for e in mine if e.route == Entrant.Route.UNION]
        locked_at = run_stage(
            ed,
            stages["seeding"],
            day + timedelta(days=1),
            [("R1", nominated_here, None)],
            panel_size=HEAT_PANEL,
        )
        seeds_here = confirm(ed, stages["seeding"], locked_at + timedelta(hours=3))
        # 挑战赛: each seed against its challengers.
        locked_at = run_stage(
            ed, stages["challenge"], day + timedelta(days=30), _challenges(seeds_here, challengers)
        )
        confirm(ed, stages["challenge"], locked_at + timedelta(hours=3))
        # 终极挑战赛: the match prepared from the challenge's winners.
        locked_at = run_stage(ed, stages["final"], day + timedelta(days=60))
        confirm(ed, stages["final"], locked_at + timedelta(hours=3))
        say(f"    {competition.trade.name}：{len(mine)} 名参赛人，{len(seeds_here)} 名种子选手")
    # 综合评审 with the public jurors, one afternoon for every trade.
    review_day = (
        ed.competitions[0].stages.get(kind="review").votes_open_at.astimezone(SHANGHAI).date()
    )
    avoid = {e.employer.name for es in entrants.values() for e in es}
    jurors = _jury(ed, _at(review_day - timedelta(days=10), 10), avoid)
    skipping = ed.rng.sample(jurors, SKIPPERS + 1)
    late_juror = skipping.pop()
    for n, competition in enumerate(ed.competitions):
        review = competition.stages.get(kind="review")
        finalists = list(Entrant.objects.filter(entries__stage=review).order_by("number"))
        skippers = {j.pk: finalists[-1].pk for j in skipping} if n == 0 else {}
        late = (late_juror.pk, finalists[0].pk) if n == 0 else None
        locked_at = run_stage(
            ed,
            review,
            review_day,
            before_lock=lambda _moment, r=review, s=skippers, lt=late: _votes(ed, r, jurors, s, lt),
        )
        confirm(ed, review, locked_at + timedelta(hours=3))
    with clock.at(_at(titled_day, 10)):
        for competition in ed.competitions:
            titles_award(actor=organiser, competition=competition)
    with clock.at(_at(titled_day, 15)):
        signed = _countersign(ed, notary_user, notary_key)
    del notary_key  # thrown away: the platform keeps the public key and the signatures
    say(f"  工匠选树：称号评定完成，公证员会签 {signed} 个公证节点。")
    return ed


# --- A one-round contest (技能竞赛): the district's, and the training's 好讲师 ----------------


def contest_open(
    clock: Clock,
    fake,
    rng,
    *,
    organiser,
    org_unit: OrgUnit,
    name: str,
    year: int,
    description: str,
    trade: Trade,
    opens: datetime,
    closes: datetime,
    venue: str,
    timetable: str,
    competition_name: str = "",
    edition: int = 1,
    stages: dict[str, tuple[str, dict, dict]] | None = None,
    say: Callable[[str], None] = print,
) -> Edition:
    """A one-round programme (技能竞赛, ``Programme.Kind.CONTEST``) of ``org_unit`` with its
    one competition, set up by ``organiser`` five days before registration ``opens``: each
    stage ``stages`` names ({kind: (name, scheme, rule)}) renamed with its scheme and rule,
    the rules uploaded, registration open until ``closes``. The edition holds the
    competition."""
    with clock.at(_at(opens.date() - timedelta(days=5), 10)):
        programme = programme_create(
            actor=organiser,
            org_unit=org_unit,
            name=name,
            year=year,
            edition=edition,
            kind=Programme.Kind.CONTEST,
            description=description,
        )
        competition = competition_create(
            actor=organiser,
            programme=programme,
            trade=trade,
            name=competition_name,
            registration_opens_at=opens,
            registration_closes_at=closes,
            venue=venue,
            timetable=timetable,
        )
        for kind, stage in stages_of(competition).items():
            if kind in (stages or {}):
                stage_name, scheme, rule = stages[kind]
                stage_update(
                    actor=organiser, stage=stage, name=stage_name, scheme=scheme, rule=rule
                )
        competition_rules_upload(
            actor=organiser, competition=competition, upload=_rules_pdf(competition.name)
        )
        competition_open(actor=organiser, competition=competition)
    ed = Edition(clock, rng, fake, organiser, programme, say=say)
    ed.competitions.append(competition)
    return ed


def contest_experts(
    ed: Edition, units: list[Unit], *, usernames: list[str], moment: datetime, login: str = ""
) -> list[Judge]:
    """An expert per username in the programme's pool at ``moment``, registration closed:
    each from a unit of ``units`` no entrant works for (else any such unit), with an
    account (``login``: the one with the demo's password); the recusals by employer an hour
    later."""
    competition = ed.competitions[0]
    trade = competition.trade
    taken = set(
        Entrant.objects.filter(competition=competition).values_list("employer_id", flat=True)
    )
    free = [u for u in units if u.pk not in taken] or [
        u for u in Unit.objects.filter(org_unit__isnull=False).order_by("-pk") if u.pk not in taken
    ]
    judges = []
    with ed.clock.at(moment):
        for username, employer in zip(usernames, free, strict=False):
            name = ed.fake.name()
            user = _account(username, name, login=username == login)
            judge = judge_add(
                actor=ed.organiser,
                programme=ed.programme,
                kind=Judge.Kind.EXPERT,
                name=name,
                employer=employer,
                trade=trade,
                user=user,
            )
            ed.accounts[judge.pk] = user
            judges.append(judge)
    with ed.clock.at(moment + timedelta(hours=1)):
        recusals_by_employer(actor=ed.organiser, competition=competition)
    return judges


# --- The district contest in progress --------------------------------------------------------


def _district(clock, fake, rng, say) -> None:
    """朝阳区职工技能竞赛 (one trade): registration closed, 实操比拼 marked and locked (the
    live board shows its results) and confirmed; 综合评审 marking now, part of its sheets
    locked, ``caipan`` on its panel; ``huiyuan`` one of the entrants."""
    User = get_user_model()
    chaoyang_staff = User.objects.get(username="chaoyang")
    chaoyang = OrgUnit.objects.get(code=CHAOYANG)
    day = today()
    start = day - timedelta(days=30)
    ed = contest_open(
        clock,
        fake,
        rng,
        organiser=chaoyang_staff,
        org_unit=chaoyang,
        name=f"朝阳区职工技能竞赛·{day.year}",
        year=day.year,
        description="实操比拼与综合评审（现场答辩）；成绩在直播榜上实时公布。",
        trade=Trade.objects.get(name=DISTRICT_TRADE),
        opens=_at(start, 9),
        closes=_at(day - timedelta(days=10), 17),
        venue="朝阳区职工技能实训中心",
        timetable="实操比拼（两场）→ 综合评审（现场答辩）",
        say=say,
    )
    programme, competition = ed.programme, ed.competitions[0]
    trade = competition.trade
    units = list(
        Unit.objects.filter(org_unit__path__startswith=chaoyang.path).order_by("pk")
    ) or list(Unit.objects.filter(org_unit__isnull=False).order_by("pk")[:30])
    rng.shuffle(units)
    entrant_units, judge_units = units[:8], units[8:]
    window = (
        competition.registration_closes_at - competition.registration_opens_at
    ).total_seconds()
    moments = sorted(
        competition.registration_opens_at + timedelta(seconds=window * rng.random())
        for _ in range(14)
    )
    member = Person.objects.filter(user__username=MEMBER).first()
    for n, moment in enumerate(moments):
        with clock.at(moment):
            if n == 3 and member is not None:
                entrant = entrant_register(
                    competition=competition,
                    user=member.user,
                    employer_name=member.employer.name
                    if member.employer
                    else entrant_units[0].name,
                )
            else:
                entrant = entrant_register(
                    competition=competition,
                    name=fake.name(),
                    phone=_phone(rng),
                    age=_age(rng),
                    employer_name=rng.choice(entrant_units).name,
                )
        ed.quality[entrant.pk] = rng.uniform(0.4, 0.95)
    with clock.at(competition.registration_closes_at):
        registration_close(actor=chaoyang_staff, competition=competition)
    # Five experts for a panel of five: every draw seats them all, ``caipan`` among them.
    contest_experts(
        ed,
        judge_units,
        usernames=[JUDGE, *(f"cy-expert{n}" for n in range(1, PANEL))],
        login=JUDGE,
        moment=_at(day - timedelta(days=9), 10),
    )
    stages = stages_of(competition)
    entrants = list(Entrant.objects.filter(competition=competition).order_by("number"))
    heats = [("A1", entrants[0::2], None), ("A2", entrants[1::2], None)]
    practical_day = day - timedelta(days=3)
    locked_at = run_stage(ed, stages["contest"], practical_day, heats, panel_size=HEAT_PANEL)
    confirm(ed, stages["contest"], locked_at + timedelta(hours=3))
    # 综合评审 now: its panel drawn, marking started yesterday, part of it done and locked.
    review = stages["review"]
    yesterday = day - timedelta(days=1)
    match = Match.objects.get(stage=review)
    panel = _draw(ed, match, _at(yesterday, 8, 10))
    with clock.at(_at(yesterday, 8, 40)):
        stage_start(actor=chaoyang_staff, stage=review)
    finalists = list(Entrant.objects.filter(entries__stage=review).order_by("number"))
    caipan = next(j for j in panel if j.user_id and j.user.username == JUDGE)
    moment = _at(yesterday, 9)
    done = finalists[: len(finalists) // 2]
    for entrant in done:
        moment = _mark_entrant(ed, review, entrant, panel, moment)
    # The next one is marked by every judge but ``caipan``, who marks on the demo's page.
    if len(finalists) > len(done):
        moment = _mark_entrant(
            ed, review, finalists[len(done)], panel, moment, skip_judgement_of=caipan
        )
    for entrant in done[: max(1, len(done) - 1)]:
        with clock.at(moment + timedelta(minutes=5)):
            sheet_lock(actor=chaoyang_staff, stage=review, entrant=entrant)
    say(f"  技能竞赛：{programme.name}（{trade.name}，{len(entrants)} 名参赛人）进行中。")


# --- Entry points --------------------------------------------------------------------------


def build(fake, rng, *, trades: int = 10, say: Callable[[str], None] | None = None) -> list[Login]:
    """The contests of the demo; the logins it made (``common.demo.Login``)."""
    say = say or (lambda line: None)
    clock = Clock()
    if trades > 0:
        _edition(clock, fake, rng, trades, district_staff(), say)
    _district(clock, fake, rng, say)
    return logins()


def logins() -> list[Login]:
    """The judge and notary logins the demo made, as the database holds them."""
    found = []
    judge = (
        Judge.objects.filter(user__username=JUDGE)
        .select_related("programme")
        .order_by("pk")
        .first()
    )
    if judge is not None:
        found.append(Login(JUDGE, "竞赛专家裁判（手机评分）", judge.programme.name))
    notary = Notary.objects.filter(user__username=NOTARY).select_related("programme").first()
    if notary is not None:
        found.append(Login(NOTARY, "公证员（会签公证节点）", notary.programme.name))
    return found
