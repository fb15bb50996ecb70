"""Craftsman challenges and skill competitions (工匠选树与技能竞赛).

A ``Programme`` (北京大工匠 edition N, 朝阳工匠 2027, a district skills contest) holds one
``Competition`` per trade (工种). A competition runs its ``Stage``s in order (selection →
seeds → challenges → final → comprehensive review), each with its marking scheme and its
advancing rule as data (``Stage.scheme``, ``Stage.rule``; see ``engine.py`` for their
shape). Entrants register (``Entrant``), judges sit on ``Match`` panels (``Seat``) drawn
from the programme's ``Judge`` pool, marks (``Mark``) and public votes (``Vote``) are
recorded once and never changed, and every result (``Result``) is recomputed from them by
``engine.py``. Everything a competition records is in its own audit stream
(``contest:<id>``), checkpointed at each milestone and countersigned by the notary.

Marks and votes are immutable: a correction is a new mark that names the one it replaces
and why. The database refuses a mark from a judge who is recused from the entrant or not
seated on the entrant's match (triggers, see the migration), a second vote of a juror on an
entrant (unique), and any UPDATE or DELETE of a mark or a vote.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Programme(models.Model):
    """A title programme or a district contest: the organiser and the edition."""

    class Kind(models.TextChoices):
        TITLE = "title", "工匠选树（挑战赛）"
        CONTEST = "contest", "技能竞赛（单轮）"

    name = models.CharField("名称", max_length=120)
    edition = models.PositiveSmallIntegerField("届次", default=1)
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.TITLE)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="主办工会", on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField("说明", blank=True)
    compare_trades = models.BooleanField(
        "跨工种比较", default=False, help_text="称号在工种之间比较时，各工种成绩先标准化（T 分）"
    )
    title_honour = models.ForeignKey(
        "registry.Honour",
        verbose_name="授予称号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    nominee_honour = models.ForeignKey(
        "registry.Honour",
        verbose_name="提名奖",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "选树与竞赛项目"
        ordering = ["-year", "-edition", "-id"]
        constraints = [
            # One programme of a name per union, year and edition (a double submit).
            models.UniqueConstraint(
                fields=["org_unit", "year", "edition", "name"], name="programme_once"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Competition(models.Model):
    """One trade's competition of a programme: rules, timetable, venues, stages, entrants."""

    class Status(models.TextChoices):
        DRAFT = "draft", "筹备中"
        OPEN = "open", "报名中"
        RUNNING = "running", "比赛中"
        FINISHED = "finished", "已结束"

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="competitions"
    )
    # The programme's, copied so that every scope check is one column (never changes).
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="主办工会", on_delete=models.PROTECT, related_name="+"
    )
    trade = models.ForeignKey(
        "people.Trade", verbose_name="工种", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("名称", max_length=120)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="draft")
    venue = models.CharField("比赛场地", max_length=200, blank=True)
    timetable = models.TextField("日程", blank=True)
    registration_opens_at = models.DateTimeField("报名开始")
    registration_closes_at = models.DateTimeField("报名截止")
    registration_closed_at = models.DateTimeField("报名实际截止", null=True, blank=True)
    # The rules document (an attachment of the competition) and its SHA-256, fixed when
    # registration closes: from then on the rules cannot be replaced.
    rules_sha256 = models.CharField("竞赛规程 SHA-256", max_length=64, blank=True)
    rules_name = models.CharField("竞赛规程文件", max_length=200, blank=True)
    rules_locked_at = models.DateTimeField("规程锁定时间", null=True, blank=True)
    # The live board: while frozen, results locked after ``frozen_at`` are shown to staff
    # only; unfreezing reveals them in order.
    frozen_at = models.DateTimeField("封榜时间", null=True, blank=True)
    titles = models.PositiveSmallIntegerField("称号名额", default=1)
    nominee_awards = models.PositiveSmallIntegerField("提名奖名额", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "竞赛（工种）"
        ordering = ["programme", "trade__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "trade"], name="contest_one_per_trade"),
            models.CheckConstraint(
                condition=Q(registration_closes_at__gt=models.F("registration_opens_at")),
                name="contest_registration_window",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stream(self) -> str:
        """The competition's own audit stream."""
        return f"contest:{self.pk}"

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class Stage(models.Model):
    """One round of a competition. ``scheme`` (the marking scheme: aspects, aggregation,
    weights, tie chain) and ``rule`` (who advances) are data, validated by ``engine.py``;
    ``scheme_version`` counts their changes (a result names the version it used)."""

    class Kind(models.TextChoices):
        SELECTION = "selection", "挑战者选拔赛"
        SEEDING = "seeding", "种子选手评定"
        CHALLENGE = "challenge", "挑战赛"
        FINAL = "final", "终极挑战赛"
        REVIEW = "review", "综合评审"
        CONTEST = "contest", "实操比拼"

    class Status(models.TextChoices):
        PLANNED = "planned", "未开始"
        MARKING = "marking", "评分中"
        LOCKED = "locked", "评分已锁定"
        CONFIRMED = "confirmed", "晋级已确认"

    competition = models.ForeignKey(
        Competition, verbose_name="竞赛", on_delete=models.PROTECT, related_name="stages"
    )
    order = models.PositiveSmallIntegerField("顺序")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=60)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="planned")
    scheme = models.JSONField("评分规则", default=dict)
    scheme_version = models.PositiveIntegerField("评分规则版本", default=1)
    rule = models.JSONField("晋级规则", default=dict)
    starts_at = models.DateTimeField("开始时间", null=True, blank=True)
    # Public votes are accepted in [votes_open_at, votes_close_at).
    votes_open_at = models.DateTimeField("大众评委投票开始", null=True, blank=True)
    votes_close_at = models.DateTimeField("大众评委投票截止", null=True, blank=True)
    appeal_minutes = models.PositiveIntegerField("申诉时限（分钟）", default=120)
    results_at = models.DateTimeField("成绩公布时间", null=True, blank=True)
    confirmed_at = models.DateTimeField("晋级确认时间", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="确认人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "赛段"
        ordering = ["competition", "order"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "order"], name="stage_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.competition} · {self.name}"


class Entrant(models.Model):
    """A registration (报名): the person (found or created in the registry), age, trade and
    employer at registration, how they came (self, union nomination, seed)."""

    class Route(models.TextChoices):
        SELF = "self", "个人自荐"
        UNION = "union", "组织推荐"

    class Status(models.TextChoices):
        REGISTERED = "registered", "已报名"
        COMPETING = "competing", "参赛中"
        SEED = "seed", "种子选手"
        OUT = "out", "已止步"
        WITHDRAWN = "withdrawn", "已退赛"
        TITLED = "titled", "获得称号"
        NOMINEE = "nominee", "获得提名奖"

    competition = models.ForeignKey(
        Competition, verbose_name="竞赛", on_delete=models.PROTECT, related_name="entrants"
    )
    person = models.ForeignKey(
        "people.Person", verbose_name="参赛人", on_delete=models.PROTECT, related_name="+"
    )
    number = models.PositiveIntegerField("参赛号")
    age = models.PositiveSmallIntegerField("报名时年龄")
    employer = models.ForeignKey(
        "people.Unit", verbose_name="工作单位", on_delete=models.PROTECT, related_name="+"
    )
    route = models.CharField("报名方式", max_length=10, choices=Route.choices)
    nominated_by = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="推荐工会",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="registered")
    registered_at = models.DateTimeField("报名时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "参赛人"
        ordering = ["competition", "number"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "person"], name="entrant_once"),
            models.UniqueConstraint(fields=["competition", "number"], name="entrant_number"),
            models.CheckConstraint(
                condition=Q(route="self", nominated_by__isnull=True)
                | Q(route="union", nominated_by__isnull=False),
                name="entrant_route_nominator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number:03d}"


class StageEntry(models.Model):
    """An entrant taking part in a stage, in one of its matches (a challenge pairs a
    challenger with a seed: ``Match.seed``)."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="entries", verbose_name="赛段"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="entries", verbose_name="参赛人"
    )
    match = models.ForeignKey(
        "Match", on_delete=models.PROTECT, related_name="entries", verbose_name="场次"
    )

    class Meta:
        verbose_name = verbose_name_plural = "赛段参赛"
        constraints = [
            models.UniqueConstraint(fields=["stage", "entrant"], name="stage_entry_once")
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}:{self.entrant_id}"


class Match(models.Model):
    """A heat or a challenge of a stage, judged by one panel (裁判组)."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="matches", verbose_name="赛段"
    )
    code = models.CharField("场次", max_length=20)
    seed = models.ForeignKey(
        Entrant,
        verbose_name="守擂种子选手",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    panel_size = models.PositiveSmallIntegerField("裁判组人数", default=5)
    # The panel draw (panels.py): commitment published first, seed revealed at the draw.
    draw_commitment = models.CharField("抽签承诺值", max_length=64, blank=True)
    draw_seed_sealed = models.TextField("抽签种子（密封）", blank=True, editable=False)
    draw_seed = models.CharField("抽签种子", max_length=64, blank=True)
    drawn_at = models.DateTimeField("抽签时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "场次"
        ordering = ["stage", "code"]
        constraints = [models.UniqueConstraint(fields=["stage", "code"], name="match_code")]

    def __str__(self) -> str:
        return self.code


class Judge(models.Model):
    """A judge of a programme's pool: an expert (裁判), an arbiter (仲裁组) or a public juror
    (大众评委). A public juror's identity is kept only as a keyed hash (never shown); an
    expert's employer decides recusal."""

    class Kind(models.TextChoices):
        EXPERT = "expert", "专家裁判"
        CHIEF = "chief", "裁判长"
        ARBITER = "arbiter", "仲裁组成员"
        PUBLIC = "public", "大众评委"

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="judges"
    )
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    name = models.CharField("姓名", max_length=60)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    employer = models.ForeignKey(
        "people.Unit",
        verbose_name="工作单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trade = models.ForeignKey(
        "people.Trade",
        verbose_name="专业（工种）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # blind_index
    identity_hash = models.CharField("身份摘要", max_length=80, blank=True, editable=False)
    seated = models.BooleanField("已入座", default=False)
    # A public juror's voting passes name this count: unseating raises it, so every pass
    # handed out before no longer votes (seating again hands out a pass with the new count).
    pass_count = models.PositiveIntegerField("投票凭证批次", default=0, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "评委"
        ordering = ["programme", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "identity_hash"],
                condition=~Q(identity_hash=""),
                name="judge_identity_once",
            ),
            models.UniqueConstraint(
                fields=["programme", "user"],
                condition=Q(user__isnull=False),
                name="judge_user_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Recusal(models.Model):
    """A judge who may not mark or vote on an entrant (回避): same employer, or a declared
    relationship. The database refuses a mark or a vote of such a pair."""

    class Reason(models.TextChoices):
        EMPLOYER = "employer", "同一工作单位"
        DECLARED = "declared", "本人申报的关系"

    judge = models.ForeignKey(
        Judge, on_delete=models.PROTECT, related_name="recusals", verbose_name="评委"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="recusals", verbose_name="参赛人"
    )
    reason = models.CharField("原因", max_length=10, choices=Reason.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "回避"
        constraints = [models.UniqueConstraint(fields=["judge", "entrant"], name="recusal_once")]

    def __str__(self) -> str:
        return f"{self.judge_id}≠{self.entrant_id}"


class Seat(models.Model):
    """A judge seated on a match's panel (by the draw, or the chief referee by hand)."""

    match = models.ForeignKey(
        Match, on_delete=models.PROTECT, related_name="seats", verbose_name="场次"
    )
    judge = models.ForeignKey(
        Judge, on_delete=models.PROTECT, related_name="seats", verbose_name="评委"
    )
    position = models.PositiveSmallIntegerField("抽签顺位")
    absent = models.BooleanField("缺席", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "裁判席位"
        ordering = ["match", "position"]
        constraints = [models.UniqueConstraint(fields=["match", "judge"], name="seat_once")]

    def __str__(self) -> str:
        return f"{self.match_id}:{self.judge_id}"


class Mark(models.Model):
    """One judge's mark on one aspect of one entrant in one stage. Immutable: a correction
    (re-scoring after a spread, or a ruling's batch) is a new mark naming the one it
    replaces and the reason. ``key`` is the judge device's idempotency key: a mark sent
    twice (the venue's Wi-Fi came back) is stored once."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="marks", verbose_name="赛段"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="marks", verbose_name="参赛人"
    )
    judge = models.ForeignKey(
        Judge, on_delete=models.PROTECT, related_name="marks", verbose_name="评委"
    )
    aspect = models.CharField("评分项", max_length=20)
    value = models.CharField("分数", max_length=12)  # canonical decimal text, see engine.py
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name="被更正的评分",
    )
    reason = models.CharField("更正原因", max_length=200, blank=True)
    batch = models.ForeignKey(
        "RescoreBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="marks",
        verbose_name="重评批次",
    )
    key = models.CharField("幂等键", max_length=64, unique=True)
    created_at = models.DateTimeField("提交时间")

    class Meta:
        verbose_name = verbose_name_plural = "评分"
        indexes = [models.Index(fields=["stage", "entrant"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | ~Q(reason=""), name="mark_correction_reason"
            ),
            # One first mark per judge, entrant and aspect: the rest are corrections (the
            # backstop of judging's check, which two devices racing could both pass).
            models.UniqueConstraint(
                fields=["stage", "entrant", "judge", "aspect"],
                condition=Q(replaces__isnull=True),
                name="mark_first_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.judge_id}→{self.entrant_id} {self.aspect}={self.value}"


class Sheet(models.Model):
    """An entrant's score sheet in a stage, locked by the chief referee (裁判长): after that
    no mark enters it except through a ruling's re-scoring batch."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="sheets", verbose_name="赛段"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="sheets", verbose_name="参赛人"
    )
    locked_at = models.DateTimeField("锁定时间")
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="锁定人"
    )

    class Meta:
        verbose_name = verbose_name_plural = "评分表锁定"
        constraints = [models.UniqueConstraint(fields=["stage", "entrant"], name="sheet_once")]

    def __str__(self) -> str:
        return f"{self.stage_id}:{self.entrant_id}"


class Vote(models.Model):
    """A public juror's vote on an entrant: one per juror and entrant (the database refuses
    a second). A vote outside the window is kept as refused and never counted."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="votes", verbose_name="赛段"
    )
    juror = models.ForeignKey(
        Judge, on_delete=models.PROTECT, related_name="votes", verbose_name="大众评委"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="votes", verbose_name="参赛人"
    )
    value = models.CharField("分数", max_length=12)
    late = models.BooleanField("逾期（不计入）", default=False)
    key = models.CharField("幂等键", max_length=64, unique=True)
    created_at = models.DateTimeField("投票时间")

    class Meta:
        verbose_name = verbose_name_plural = "大众评委投票"
        constraints = [
            models.UniqueConstraint(fields=["stage", "juror", "entrant"], name="vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.juror_id}→{self.entrant_id}={self.value}"


class Result(models.Model):
    """A computed result of an entrant in a stage (``engine.py`` from the marks and votes
    under ``scheme_version``). A re-scoring keeps the old rows, marked superseded."""

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="results", verbose_name="赛段"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="results", verbose_name="参赛人"
    )
    score = models.CharField("成绩", max_length=40)
    parts = models.JSONField("分项", default=dict)
    place = models.PositiveIntegerField("名次")
    advanced = models.BooleanField("晋级", default=False)
    scheme_version = models.PositiveIntegerField("评分规则版本")
    computed_at = models.DateTimeField("计算时间")
    locked_at = models.DateTimeField("锁定时间", null=True, blank=True)
    # When the public may see it: at the lock, or (the board frozen) at its reveal. The one
    # rule of what is public: ``revealed_at`` set and not superseded (``visibility.py``).
    revealed_at = models.DateTimeField("公布时间", null=True, blank=True)
    superseded_by = models.ForeignKey(
        "RescoreBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded",
        verbose_name="被重评批次取代",
    )

    class Meta:
        verbose_name = verbose_name_plural = "成绩"
        ordering = ["stage", "place"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "entrant"],
                condition=Q(superseded_by__isnull=True),
                name="result_current_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}:{self.entrant_id} #{self.place}"


class Appeal(models.Model):
    """An entrant's written appeal (申诉) to the arbitration group within the stage's window.
    Identical appeals (same stage, entrant, text) merge into the first."""

    class Status(models.TextChoices):
        OPEN = "open", "待仲裁"
        UPHELD = "upheld", "申诉成立"
        DISMISSED = "dismissed", "申诉不成立"

    stage = models.ForeignKey(
        Stage, on_delete=models.PROTECT, related_name="appeals", verbose_name="赛段"
    )
    entrant = models.ForeignKey(
        Entrant, on_delete=models.PROTECT, related_name="appeals", verbose_name="参赛人"
    )
    text = models.TextField("申诉内容")
    digest = models.CharField("内容摘要", max_length=64)
    copies = models.PositiveIntegerField("合并的相同申诉", default=0)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="open")
    filed_at = models.DateTimeField("提出时间")
    ruling = models.TextField("仲裁结论", blank=True)
    ruled_at = models.DateTimeField("仲裁时间", null=True, blank=True)
    ruled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="裁决人",
    )
    # An upheld ruling that orders marks corrected: the stage's advance waits for its
    # re-scoring to be applied. Upheld without it, the appeal is closed by the ruling.
    rescore = models.BooleanField("须重评", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "申诉"
        ordering = ["-filed_at"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "entrant", "digest"], name="appeal_merge")
        ]

    def __str__(self) -> str:
        return f"{self.stage_id}:{self.entrant_id} {self.status}"


class RescoreBatch(models.Model):
    """A ruling's re-scoring (复核重评): the corrected marks, previewed (their effect on
    ranks), then applied or cancelled as a whole."""

    class Status(models.TextChoices):
        PREVIEW = "preview", "待确认"
        APPLIED = "applied", "已生效"
        CANCELLED = "cancelled", "已取消"

    appeal = models.ForeignKey(
        Appeal, on_delete=models.PROTECT, related_name="batches", verbose_name="申诉"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="preview")
    changes = models.JSONField("更正的分数", default=list)
    preview = models.JSONField("名次变化预览", default=dict)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "重评批次"

    def __str__(self) -> str:
        return f"{self.appeal_id}:{self.status}"


class Notary(models.Model):
    """The notary of a programme (公证员): an account and ITS OWN Ed25519 public key. The
    private key never reaches the platform: the notary signs checkpoints on their device."""

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="notaries", verbose_name="选树与竞赛项目"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="用户"
    )
    name = models.CharField("公证员", max_length=60)
    office = models.CharField("公证机构", max_length=120)
    public_key = models.CharField("公钥（十六进制）", max_length=64)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "公证员"
        constraints = [models.UniqueConstraint(fields=["programme", "user"], name="notary_once")]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    """A signed checkpoint of the competition's stream at a milestone (registration closed,
    a stage closed, the final, the titles), and the notary's countersignature of it."""

    competition = models.ForeignKey(
        Competition,
        on_delete=models.PROTECT,
        related_name="milestones",
        verbose_name="竞赛（工种）",
    )
    name = models.CharField("节点", max_length=60)
    seq = models.BigIntegerField("序号")
    head = models.CharField("链头哈希", max_length=64)
    time = models.CharField("公证时间", max_length=40)
    notary = models.ForeignKey(
        Notary,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="公证员",
    )
    countersignature = models.CharField("公证员副签", max_length=128, blank=True)
    countersigned_at = models.DateTimeField("副签时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "公证节点"
        ordering = ["competition", "seq"]
        constraints = [models.UniqueConstraint(fields=["competition", "seq"], name="milestone_seq")]

    def __str__(self) -> str:
        return f"{self.name}@{self.seq}"


class BoardSnapshot(models.Model):
    """The live board as the public sees it, one row per change (``version``): what every
    viewer and the stream server read, so a viewer costs no query of its own. ``staff``
    holds the true board while a freeze hides results from the public one."""

    competition = models.ForeignKey(
        Competition, on_delete=models.CASCADE, related_name="snapshots", verbose_name="竞赛（工种）"
    )
    version = models.PositiveIntegerField("版本")
    public = models.TextField("公开榜单")  # canonical JSON
    staff = models.TextField("工作人员榜单")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "直播榜快照"
        constraints = [
            models.UniqueConstraint(fields=["competition", "version"], name="snapshot_version")
        ]

    def __str__(self) -> str:
        return f"{self.competition_id}@{self.version}"
