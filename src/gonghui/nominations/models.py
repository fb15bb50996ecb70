"""Nomination and appraisal campaigns (推荐评选): "one report, two reviews, three notices".

The procedure is data in ``workflow.py``; the rules a campaign sets (quotas, structure
rules, the notice period and form) are rows here. Maximums are counters guarded by the
database (a CHECK on used <= allowed and conditional updates), so simultaneous submissions
cannot pass together."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from gonghui.common.fields import ProtectedField
from gonghui.nominations.workflow import State, named, state_label

NOTICE_FIELDS = {
    "name": "姓名",
    "gender": "性别",
    "birth_year": "出生年份",
    "unit_post": "工作单位及职务",
    "rank": "岗位类别",
    "brief": "主要事迹（简要）",
}
DEFAULT_NOTICE_FIELDS = ["name", "gender", "unit_post", "brief"]
CLEARANCE_DEPARTMENTS = ["纪检监察", "税务", "审计", "人力社保", "安全生产"]


class Campaign(models.Model):
    """评选活动: one honour in one year, with its timetable, who may nominate (the quota
    nodes and their subtrees), structure rules, and the notice period and form."""

    class Status(models.TextChoices):
        DRAFT = "draft", "筹备中"
        OPEN = "open", "推荐中"
        CLOSED = "closed", "已结束"

    honour = models.ForeignKey("registry.Honour", verbose_name="荣誉", on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=120)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="组织单位", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="draft")
    nominate_from = models.DateField("推荐开始")
    nominate_until = models.DateField("推荐截止")
    notice_days = models.PositiveSmallIntegerField("公示期", default=5)
    notice_calendar_days = models.BooleanField("公示期按自然日计", default=False)
    notice_fields = models.JSONField("公示内容", default=list)
    objection_contact = models.TextField("异议受理方式", blank=True)
    clearance_departments = models.JSONField("管理人员须征求意见的部门", default=list)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "评选活动"
        constraints = [
            models.UniqueConstraint(fields=["honour", "year"], name="campaign_honour_year"),
            models.CheckConstraint(
                condition=Q(nominate_until__gte=F("nominate_from")), name="campaign_timetable"
            ),
            models.CheckConstraint(
                condition=Q(notice_days__gte=1, notice_days__lte=30), name="campaign_notice_days"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Quota(models.Model):
    """名额: how many nominees a node (a district or industry union, with its subtree) may
    put forward. ``used`` counts the live nominations; the database refuses used > allowed."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="quotas", verbose_name="评选活动"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="推荐单位", on_delete=models.PROTECT, related_name="+"
    )
    allowed = models.PositiveIntegerField("名额")
    used = models.PositiveIntegerField("已用", default=0)
    submitted_at = models.DateTimeField("名单报送时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "名额"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "org_unit"], name="quota_node"),
            models.CheckConstraint(condition=Q(used__lte=F("allowed")), name="quota_not_over"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.used}/{self.allowed}"


class Rule(models.Model):
    """结构比例: a share of the nominees with an attribute, at least (checked when a node
    reports its list) or at most (a counter, refused at submission), or an exclusion.
    ``per_node``: each quota node's list; else the campaign's whole list."""

    class Kind(models.TextChoices):
        AT_LEAST = "min", "不低于"
        AT_MOST = "max", "不高于"
        EXCLUDED = "exclude", "不得推荐"

    class Attribute(models.TextChoices):
        FRONT_LINE = "front_line", "一线职工"
        RANK = "rank", "岗位类别"
        CATEGORY = "category", "类别"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="rules", verbose_name="评选活动"
    )
    kind = models.CharField("规则", max_length=8, choices=Kind.choices)
    attribute = models.CharField("条件", max_length=12, choices=Attribute.choices)
    value = models.CharField("取值", max_length=40, blank=True)
    percent = models.PositiveSmallIntegerField("比例（%）", default=0)
    per_node = models.BooleanField("按各推荐单位计", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "结构比例规则"
        constraints = [
            models.CheckConstraint(condition=Q(percent__lte=100), name="rule_percent"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from gonghui.nominations import rules

        return rules.label(self)


class RuleCounter(models.Model):
    """How many live nominations an at-most rule has counted, against its limit, for one
    node (``per_node``) or the whole campaign (the campaign's node)."""

    rule = models.ForeignKey(
        Rule, on_delete=models.CASCADE, related_name="counters", verbose_name="结构比例规则"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name="工会组织"
    )
    allowed = models.PositiveIntegerField("允许人数")
    used = models.PositiveIntegerField("已用人数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "结构比例计数"
        constraints = [
            models.UniqueConstraint(fields=["rule", "org_unit"], name="rulecounter_node"),
            models.CheckConstraint(condition=Q(used__lte=F("allowed")), name="rule_not_over"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.used}/{self.allowed}"


class Nomination(models.Model):
    """被推荐人: one person in one campaign, put forward by a grassroots union under a quota
    node, with the materials and the deeds report meeting (the "one report"), and the
    attributes the rules use as they were when nominated."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="nominations", verbose_name="评选活动"
    )
    person = models.ForeignKey("people.Person", verbose_name="被推荐人", on_delete=models.PROTECT)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="推荐单位", on_delete=models.PROTECT, related_name="+"
    )
    quota = models.ForeignKey(
        Quota, on_delete=models.PROTECT, related_name="nominations", verbose_name="名额"
    )
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    # The attributes the rules use, recorded as nominated.
    is_front_line = models.BooleanField("一线职工", default=False)
    rank = models.CharField("岗位类别", max_length=20, blank=True)
    post_title = models.CharField("职务", max_length=60, blank=True)
    employer_name = models.CharField("工作单位", max_length=120, blank=True)
    # "|科技创新人员|农民工|": one LIKE matches a category on every database.
    categories = models.CharField("类别", max_length=400, blank=True)
    # Materials.
    brief = models.TextField("简要事迹", max_length=500, blank=True)
    deeds = models.TextField("详细事迹", max_length=5000, blank=True)
    meeting_on = models.DateField("事迹报告会日期", null=True, blank=True)
    meeting_attendance = models.PositiveIntegerField("参会人数", null=True, blank=True)
    meeting_result = models.CharField("民主评议结果", max_length=200, blank=True)
    clearances = models.JSONField("部门意见", default=dict)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        verbose_name="替换的被推荐人",
    )
    reason = models.CharField("撤回、不通过或取消的原因", max_length=500, blank=True)
    live = models.BooleanField("当前有效", default=True)  # counts against the quota
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "被推荐人"
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "person"], condition=Q(live=True), name="nomination_once"
            ),
        ]
        # Covering for the quota page: its grouped counts read the index, not the rows.
        indexes = [
            models.Index(
                fields=["campaign", "quota", "state", "is_front_line", "rank", "categories"],
                name="nomination_quota_rules",
            ),
            # The workbench's queues: a campaign's nominees in one state, counted up to a cap
            # (an empty queue answers from the index instead of reading every nominee).
            models.Index(fields=["campaign", "state", "org_unit"], name="nomination_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_state_display()})"

    def get_state_display(self) -> str:
        """The state's name in this campaign: the second notice is the city's (市级公示) or,
        for a district's own honour, the district's (区级公示)."""
        return state_label(self.state, self.campaign.honour.level)

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split("|") if c]


class Notice(models.Model):
    """公示: a published list of nominees for a period of working (or calendar) days; it
    closes by itself at the end of its last day, Beijing time."""

    class Stage(models.TextChoices):
        FIRST = "first", "基层公示"
        SECOND = "second", "市级公示"
        FINAL = "final", "拟表彰名单公示"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="notices", verbose_name="评选活动"
    )
    stage = models.CharField("公示阶段", max_length=8, choices=Stage.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="发布单位", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("标题", max_length=200)
    starts_on = models.DateField("公示开始")
    ends_on = models.DateField("公示截止")
    closes_at = models.DateTimeField("截止时刻")
    fields = models.JSONField("公示内容", default=list)
    contact = models.TextField("异议受理方式", blank=True)
    nominations = models.ManyToManyField(
        Nomination, related_name="notices", verbose_name="被推荐人"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="发布人"
    )
    published_at = models.DateTimeField("发布时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "公示"
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="notice_period")
        ]

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def stage_label(stage: str, level: str) -> str:
        """A notice stage's name in a campaign for an honour of ``level``."""
        return named(stage, Notice.Stage(stage).label, level)

    def get_stage_display(self) -> str:
        return self.stage_label(self.stage, self.campaign.honour.level)


class Objection(models.Model):
    """异议: filed during a notice against one nominee, named or anonymous, online or
    entered by staff from a call, letter or e-mail. Admissible and open, it blocks the
    nominee. The objector's identity is shown only to the reviewing level."""

    class Channel(models.TextChoices):
        ONLINE = "online", "网上"
        PHONE = "phone", "电话"
        LETTER = "letter", "信件"
        EMAIL = "email", "电子邮件"
        VISIT = "visit", "来访"

    class Status(models.TextChoices):
        RECEIVED = "received", "待受理"
        INADMISSIBLE = "inadmissible", "不予受理"
        VERIFYING = "verifying", "核查中"
        RESOLVED = "resolved", "已办结"

    class Finding(models.TextChoices):
        UPHELD = "upheld", "反映问题属实"
        PARTLY = "partly", "部分属实"
        NOT_UPHELD = "not_upheld", "反映问题不属实"

    notice = models.ForeignKey(
        Notice, on_delete=models.PROTECT, related_name="objections", verbose_name="公示"
    )
    nomination = models.ForeignKey(
        Nomination, on_delete=models.PROTECT, related_name="objections", verbose_name="被推荐人"
    )
    reference = models.CharField("查询码", max_length=24, unique=True)
    channel = models.CharField("渠道", max_length=8, choices=Channel.choices, default="online")
    anonymous = models.BooleanField("匿名", default=False)
    name = models.CharField("反映人", max_length=60, blank=True)
    contact = ProtectedField("联系方式", kind="contact", null=True, blank=True)
    text = models.TextField("反映内容", max_length=5000)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    triage_reason = models.CharField("受理意见", max_length=500, blank=True)
    verification = models.TextField("核查情况", blank=True)
    finding = models.CharField("结论", max_length=12, choices=Finding.choices, blank=True)
    finding_note = models.TextField("结论说明", blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="录入人",
    )
    filed_at = models.DateTimeField("提交时间")
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "异议"

    def __str__(self) -> str:
        return self.reference

    @property
    def blocking(self) -> bool:
        return self.status in (self.Status.RECEIVED, self.Status.VERIFYING)


class Step(models.Model):
    """One entry of a nominee's timeline: a transition with who, when and what they
    recorded (opinion, reason). Notices and objections join it from their own tables."""

    nomination = models.ForeignKey(
        Nomination, on_delete=models.CASCADE, related_name="steps", verbose_name="被推荐人"
    )
    action = models.CharField("动作", max_length=20)
    state = models.CharField("状态", max_length=16, choices=State.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="操作人"
    )
    opinion = models.TextField("意见", blank=True)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "评选环节记录"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"
