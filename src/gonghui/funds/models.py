"""Funds, subsidies and aid (资金与帮扶): programmes with versioned rules and yearly budgets
per node, hardship records, applications with their reviews, entitlements with one lifelong
payment identity, payee accounts, payout batches and their lines, bank-return imports and the
append-only ledger. Money is integer fen everywhere (``BigIntegerField``).

What the database itself refuses, whatever code writes (constraints here, triggers in
``migrations/0002_guards.py``, both databases):

* a budget committed beyond its amount (``budget_within``; the commit is a conditional
  UPDATE, so 8 approvers at once on a nearly spent budget never go over);
* a review by the applicant's own account or by whoever created the application
  (maker-checker, trigger);
* any UPDATE or DELETE of a ledger row or a rule version (a correction is a reversing row;
  a rule change is a new version);
* two live payout lines of one entitlement (``line_one_live``: a re-issue supersedes the
  failed line first), and two entitlements or applications for one certificate or illness
  event (``application_dedupe``), two of a run for one person (``entitlement_run_once``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from gonghui.common.fields import BlindIndexField, ProtectedField


class Programme(models.Model):
    """A programme (资助/帮扶项目) of a union node, e.g. the city's model-worker special fund.
    Its rules are data (``RuleVersion``); budgets are per node and year (``Budget``)."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "技能等级证书补贴"
        ILLNESS = "illness", "大病救助"
        HARDSHIP = "hardship", "困难劳模帮扶"
        CONDOLENCE = "condolence", "节日慰问"
        STUDIO = "studio", "创新工作室资助"

    class Entry(models.TextChoices):
        APPLY = "apply", "个人申请或代为申请"
        ENROL = "enrol", "按规则纳入（无需申请）"

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("项目名称", max_length=120)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    entry = models.CharField("纳入方式", max_length=8, choices=Entry.choices, default="apply")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="主办工会",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="项目由该工会设立和管理；其下各级工会可分配预算、受理申请",
    )
    levels = models.PositiveSmallIntegerField(
        "审核层级",
        default=2,
        help_text="2：基层核实 → 区级审核；3：再经市级审批",
    )
    description = models.TextField("项目说明", blank=True, max_length=4000)
    opens_on = models.DateField("申请开始", null=True, blank=True)
    closes_on = models.DateField("申请截止", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资助项目"
        ordering = ["org_unit__path", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(levels__in=(2, 3)), name="programme_levels"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stream(self) -> str:
        """The programme's audit stream: every decision and ledger row is an event of it."""
        return f"funds:{self.pk}"


class RuleVersion(models.Model):
    """One version of a programme's rule (``funds.rules``): never changed once written (a
    change is the next version); every decision records the version it used."""

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="rule_versions"
    )
    version = models.PositiveIntegerField("版本")
    rule = models.JSONField("规则")
    note = models.CharField("修改说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目规则版本"
        ordering = ["programme", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "version"], name="rule_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} v{self.version}"


class Budget(models.Model):
    """A programme's budget for one node and year (预算). ``committed`` is what approvals
    have taken from it; the database refuses more than ``amount``."""

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="budgets"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="预算单位", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    amount = models.BigIntegerField("预算金额（分）")
    committed = models.BigIntegerField("已承诺（分）", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "项目预算"
        ordering = ["programme", "-year", "org_unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "org_unit", "year"], name="budget_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_sane"),
            models.CheckConstraint(
                condition=Q(committed__gte=0) & Q(committed__lte=models.F("amount")),
                name="budget_within",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} · {self.org_unit} · {self.year}"

    @property
    def remaining(self) -> int:
        return self.amount - self.committed


class Hardship(models.Model):
    """A person's recognised hardship (困难认定): the grade decides aid amounts and, for model
    workers, enrolment in hardship payments and holiday condolence money."""

    class Grade(models.TextChoices):
        GENERAL = "一般困难", "一般困难"
        SEVERE = "特别困难", "特别困难"

    person = models.ForeignKey(
        "people.Person", verbose_name="人员", on_delete=models.PROTECT, related_name="hardships"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="认定工会", on_delete=models.PROTECT, related_name="+"
    )
    grade = models.CharField("困难等级", max_length=8, choices=Grade.choices)
    since = models.DateField("认定日期")
    until = models.DateField("失效日期", null=True, blank=True)
    note = models.CharField("情况说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "困难认定"
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(until__isnull=True), name="hardship_one_open"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="hardship_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.grade}"


class Run(models.Model):
    """A payment run of an enrolment programme (e.g. 2027年春节慰问): who is enrolled is
    decided by the programme's rule at enrolment; every line must be paid by ``deadline``."""

    class Status(models.TextChoices):
        OPEN = "open", "待纳入"
        ENROLLED = "enrolled", "已纳入"
        CLOSED = "closed", "已结束"

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="runs"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="发放工会", on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField("名称", max_length=120)
    year = models.PositiveSmallIntegerField("年度")
    deadline = models.DateField("发放截止", help_text="如：春节前最后一个工作日")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="open")
    rule_version = models.ForeignKey(
        RuleVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="规则版本",
    )
    enrolled = models.PositiveIntegerField("纳入人数", default=0)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发放计划"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """An application (申请) by a member on their phone or by staff on their behalf, and
    where its review stands. ``dedupe_key`` names what can be subsidised once (a certificate
    number, an illness event, a studio's year): unique across programmes while live."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待基层核实"
        VERIFIED = "verified", "待区级审核"
        REVIEWED = "reviewed", "待市级审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未通过"
        WITHDRAWN = "withdrawn", "已撤回"

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name="申请人",
        on_delete=models.PROTECT,
        related_name="fund_applications",
    )
    studio = models.ForeignKey(
        "registry.Studio",
        verbose_name="工作室",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="所属工会",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="申请时申请人会籍所在的基层工会：核实与审核按此分级",
    )
    year = models.PositiveSmallIntegerField("年度")
    facts = models.JSONField("申请事项", default=dict, blank=True)
    dedupe_key = models.CharField("查重键", max_length=120, blank=True)
    amount = models.BigIntegerField("核定金额（分）", default=0)
    rule_version = models.ForeignKey(
        RuleVersion, verbose_name="规则版本", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="submitted")
    reason = models.CharField("未通过原因", max_length=500, blank=True)
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人账号",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="申请人本人的账号：数据库拒绝该账号作出的审核决定",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    decided_at = models.DateTimeField("办结时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "资助申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="application_amount_sane"),
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key="") & ~Q(status__in=("rejected", "withdrawn")),
                name="application_dedupe",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"{self.programme} · {self.person}"


class Review(models.Model):
    """One decision on an application at one level (1 基层核实, 2 区级审核, 3 市级审批). The
    database refuses a decision by the applicant's own account or the application's maker."""

    class Decision(models.TextChoices):
        PASS = "pass", "通过"
        REJECT = "reject", "不通过"

    application = models.ForeignKey(
        Application, verbose_name="申请", on_delete=models.PROTECT, related_name="reviews"
    )
    level = models.PositiveSmallIntegerField("审核层级")
    decision = models.CharField("决定", max_length=8, choices=Decision.choices)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="审核人", on_delete=models.PROTECT, related_name="+"
    )
    rule_version = models.ForeignKey(
        RuleVersion, verbose_name="规则版本", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.BigIntegerField("核定金额（分）", default=0)
    note = models.CharField("意见", max_length=500, blank=True)
    decided_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "审核记录"
        ordering = ["application", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "level"], name="review_once_a_level"),
            models.CheckConstraint(condition=Q(level__in=(1, 2, 3)), name="review_level"),
            models.CheckConstraint(
                condition=Q(decision="pass") | ~Q(note=""), name="review_reject_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.level} · {self.get_decision_display()}"


class Entitlement(models.Model):
    """What is owed to one payee (应发): from an approved application or a run's enrolment.
    ``payment_id`` is its one payment identity, carried by every bank file it appears in."""

    class Status(models.TextChoices):
        OWED = "owed", "待发放"
        BATCHED = "batched", "发放中"
        PAID = "paid", "已发放"
        CANCELLED = "cancelled", "已取消"

    programme = models.ForeignKey(
        Programme,
        verbose_name="项目",
        on_delete=models.PROTECT,
        related_name="entitlements",
        db_index=False,  # the (programme, status) index serves it
    )
    budget = models.ForeignKey(
        Budget,
        verbose_name="预算",
        on_delete=models.PROTECT,
        related_name="entitlements",
        db_index=False,  # read through the entitlement, never looked up by (figures: the ledger)
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name="收款人",
        on_delete=models.PROTECT,
        related_name="fund_entitlements",
    )
    studio = models.ForeignKey(
        "registry.Studio",
        verbose_name="工作室",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # counted within a programme's rows (its index), never looked up by
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="+"
    )
    application = models.OneToOneField(
        Application,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlement",
        verbose_name="资助申请",
    )
    run = models.ForeignKey(
        Run,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entitlements",
        db_index=False,  # entitlement_run_once (run, person) serves it
        verbose_name="发放计划",
    )
    year = models.PositiveSmallIntegerField("年度")
    amount = models.BigIntegerField("金额（分）")
    rule_version = models.ForeignKey(
        RuleVersion,
        verbose_name="规则版本",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # never looked up by (rule versions are never deleted)
    )
    payment_id = models.CharField("业务编号", max_length=32, unique=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="owed")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "应发记录"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="entitlement_amount_sane"),
            models.UniqueConstraint(
                fields=["run", "person"],
                condition=Q(run__isnull=False),
                name="entitlement_run_once",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return self.payment_id


class PayeeAccount(models.Model):
    """A payee's account (收款账户): union card, bank card or passbook, with its class,
    whether it is bound to the paying account, its status as the bank last reported it and
    its last known activity. The number is protected data: encrypted, masked, every reveal
    audited."""

    class Kind(models.TextChoices):
        UNION_CARD = "union_card", "工会会员卡（银行卡）"
        BANK_CARD = "bank_card", "银行卡"
        PASSBOOK = "passbook", "存折"
        CORPORATE = "corporate", "单位对公账户"

    class AccountClass(models.TextChoices):
        I = "I", "Ⅰ类"  # noqa: E741
        II = "II", "Ⅱ类"
        III = "III", "Ⅲ类"

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        LOCKED = "locked", "已锁定"
        DORMANT = "dormant", "久悬（长期未使用）"
        CLOSED = "closed", "已销户"

    person = models.ForeignKey(
        "people.Person",
        verbose_name="户主",
        on_delete=models.PROTECT,
        related_name="payee_accounts",
    )
    kind = models.CharField("账户类型", max_length=12, choices=Kind.choices)
    account_class = models.CharField(
        "账户分类", max_length=3, choices=AccountClass.choices, blank=True
    )
    bank = models.CharField("开户行", max_length=60)
    number = ProtectedField("账号", kind="bank_account")
    number_index = BlindIndexField("账号检索索引", source="number")
    bound_to_payer = models.BooleanField(
        "已绑定付款账户", default=False, help_text="Ⅱ类账户的非绑定转入限额对绑定账户不适用"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="active")
    status_reported_at = models.DateField("状态报告日期", null=True, blank=True)
    last_activity = models.DateField("最近交易日期", null=True, blank=True)
    balance = models.BigIntegerField("已知余额（分）", default=0)
    is_default = models.BooleanField("默认收款账户", default=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "收款账户"
        ordering = ["person", "-is_default", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(is_default=True), name="payee_one_default"
            ),
            models.UniqueConstraint(fields=["person", "number_index"], name="payee_account_once"),
            models.CheckConstraint(
                condition=Q(kind__in=("passbook", "corporate"), account_class="")
                | (~Q(kind__in=("passbook", "corporate")) & ~Q(account_class="")),
                name="payee_class_sane",
            ),
            models.CheckConstraint(condition=Q(balance__gte=0), name="payee_balance_sane"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.bank}"


class PayoutBatch(models.Model):
    """A payout batch for the bank (发放批次): built from owed entitlements, predicted,
    released, exported, its returns imported, reconciled."""

    class Status(models.TextChoices):
        DRAFT = "draft", "编制中"
        RELEASED = "released", "已审定"
        EXPORTED = "exported", "已报送银行"
        SETTLED = "settled", "已对账"

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="batches"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="发放工会", on_delete=models.PROTECT, related_name="+"
    )
    run = models.ForeignKey(
        Run,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name="发放计划",
    )
    name = models.CharField("批次名称", max_length=120)
    deadline = models.DateField("发放截止", null=True, blank=True)
    layout = models.JSONField("银行文件格式", default=dict, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="draft")
    built = models.BooleanField("已编制完毕", default=False)
    predicted_on = models.DateField("预判日期", null=True, blank=True)
    line_count = models.PositiveIntegerField("笔数", default=0)
    total = models.BigIntegerField("合计（分）", default=0)
    bank_count = models.PositiveIntegerField("银行回盘笔数", null=True, blank=True)
    bank_total = models.BigIntegerField("银行回盘成功金额（分）", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="创建人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    released_at = models.DateTimeField("审定时间", null=True, blank=True)
    exported_at = models.DateTimeField("报送时间", null=True, blank=True)
    settled_at = models.DateTimeField("对账时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "发放批次"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class PayoutLine(models.Model):
    """One payment of an entitlement in a batch. A failed line is re-routed and re-issued as
    a new line that supersedes it (``supersedes``); the database keeps one live line per
    entitlement, so nothing is paid twice."""

    class Method(models.TextChoices):
        ACCOUNT = "account", "转账"
        CASH = "cash", "现金（签收）"

    class Status(models.TextChoices):
        PENDING = "pending", "待报送"
        SENT = "sent", "已报送"
        PAID = "paid", "已到账"
        FAILED = "failed", "失败（待处理）"
        SUPERSEDED = "superseded", "已改道重发"
        CANCELLED = "cancelled", "已取消"

    batch = models.ForeignKey(
        PayoutBatch, verbose_name="批次", on_delete=models.PROTECT, related_name="lines"
    )
    entitlement = models.ForeignKey(
        Entitlement, verbose_name="应发记录", on_delete=models.PROTECT, related_name="lines"
    )
    account = models.ForeignKey(
        PayeeAccount,
        verbose_name="收款账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
    )
    method = models.CharField("方式", max_length=8, choices=Method.choices, default="account")
    amount = models.BigIntegerField("金额（分）")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="pending")
    prediction = models.CharField("预判", max_length=16, blank=True)
    alternative = models.ForeignKey(
        PayeeAccount,
        verbose_name="建议改用账户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    in_time = models.BooleanField("改道后可在截止前到账", null=True)
    result_reason = models.CharField("银行回盘原因", max_length=200, blank=True)
    returned_at = models.DateTimeField("回盘时间", null=True, blank=True)
    supersedes = models.OneToOneField(
        "self",
        verbose_name="替代的失败记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "发放明细"
        ordering = ["batch", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="line_amount_sane"),
            models.UniqueConstraint(
                fields=["entitlement"],
                condition=Q(status__in=("pending", "sent", "paid")),
                name="line_one_live",
            ),
            models.CheckConstraint(
                condition=Q(method="cash") | Q(account__isnull=False) | Q(status="cancelled"),
                name="line_has_account",
            ),
        ]
        # With the prediction last, "predicted to fail" (a non-empty prediction) is one
        # range of the index: the workbench counts those lines without reading the others
        # (SQLite's plan). PostgreSQL, counting under a LIMIT, would rather scan the table
        # for lines it expects spread evenly; the partial index holds only those lines.
        indexes = [
            models.Index(fields=["batch", "status", "prediction"], name="line_queue"),
            models.Index(
                fields=["batch"],
                condition=Q(status="pending", prediction__gt=""),
                name="line_predicted_to_fail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entitlement_id} · {self.get_status_display()}"


class ReturnImport(models.Model):
    """A bank return file imported into a batch (回盘导入): what it changed. The same file
    again (by digest) changes nothing and says so."""

    batch = models.ForeignKey(
        PayoutBatch, verbose_name="批次", on_delete=models.PROTECT, related_name="imports"
    )
    filename = models.CharField("文件名", max_length=200)
    digest = models.CharField("文件摘要（SHA-256）", max_length=64)
    lines = models.PositiveIntegerField("行数", default=0)
    paid = models.PositiveIntegerField("成功", default=0)
    failed = models.PositiveIntegerField("失败", default=0)
    unchanged = models.PositiveIntegerField("已处理过（未变）", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="导入人",
    )
    imported_at = models.DateTimeField("导入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "回盘导入"
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "digest"], name="return_import_once"),
        ]

    def __str__(self) -> str:
        return self.filename


class LedgerEntry(models.Model):
    """One row of a programme's ledger (台账), append-only: a commitment (approval), its
    release (a cancelled entitlement), a payment (sent to the bank or paid in cash), a return
    (the bank's failure) and a correction (a reversing row naming the row it reverses).
    Amounts are signed fen; each row is covered by an event of the programme's stream."""

    class Kind(models.TextChoices):
        COMMIT = "commit", "承诺（批准）"
        RELEASE = "release", "释放承诺（取消）"
        PAY = "pay", "支付"
        RETURN = "return", "退回（银行失败）"
        REVERSE = "reverse", "冲正"

    programme = models.ForeignKey(
        Programme, verbose_name="项目", on_delete=models.PROTECT, related_name="ledger"
    )
    budget = models.ForeignKey(
        Budget, verbose_name="预算", on_delete=models.PROTECT, related_name="ledger"
    )
    kind = models.CharField("类型", max_length=8, choices=Kind.choices)
    amount = models.BigIntegerField("金额（分）")
    entitlement = models.ForeignKey(
        Entitlement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger",
        verbose_name="应发记录",
    )
    line = models.ForeignKey(
        PayoutLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger",
        verbose_name="发放明细",
    )
    reverses = models.OneToOneField(
        "self",
        verbose_name="冲正的记录",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
    )
    month = models.CharField("月份", max_length=7)  # "2027-01", Asia/Shanghai
    note = models.CharField("摘要", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="操作人",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "资金台账"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_nonzero"),
            models.CheckConstraint(
                condition=Q(kind="reverse", reverses__isnull=False)
                | (~Q(kind="reverse") & Q(reverses__isnull=True)),
                name="ledger_reverse_names_row",
            ),
            models.UniqueConstraint(
                fields=["line", "kind"],
                condition=Q(line__isnull=False) & Q(kind__in=("pay", "return")),
                name="ledger_line_once",
            ),
        ]
        indexes = [models.Index(fields=["budget", "month", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
