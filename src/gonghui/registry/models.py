"""The registry of honoured people and collectives (劳模工匠档案): the honour catalogue,
awards, categories and search keys. People and units are the foundation's (people app)."""

from django.db import models


class Honour(models.Model):
    """An honour of the catalogue (荣誉目录), e.g. 北京市劳动模范 or 全国工人先锋号.

    ``conferring_unit`` is the union node at the conferring level: the city federation for
    national and city honours, a district for its own titles. Only posts at that level may
    create, change or revoke its awards."""

    class Level(models.TextChoices):
        NATIONAL = "national", "全国"
        CITY = "city", "市级"
        DISTRICT = "district", "区级"

    class Subject(models.TextChoices):
        INDIVIDUAL = "individual", "个人"
        COLLECTIVE = "collective", "集体"

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("荣誉名称", max_length=60, unique=True)
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    subject = models.CharField("授予对象", max_length=12, choices=Subject.choices)
    conferred_by = models.CharField("授予机关", max_length=120)
    conferring_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="管理层级", on_delete=models.PROTECT, related_name="+"
    )
    first_year = models.PositiveSmallIntegerField("首次授予年份")
    cycle = models.CharField("评选周期", max_length=40, blank=True)
    prerequisites = models.ManyToManyField(
        "self", verbose_name="前置荣誉", symmetrical=False, blank=True, related_name="required_by"
    )
    is_title = models.BooleanField("工匠称号", default=False)
    sort = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = verbose_name_plural = "荣誉"
        ordering = ["sort", "pk"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A category tag of an award (科技创新人员, 一线职工, 农民工, ...)."""

    code = models.SlugField("代码", max_length=40, unique=True)
    name = models.CharField("类别", max_length=40, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "人员类别"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Award(models.Model):
    """An award (授予记录): an honour given to a person or a collective in a year."""

    class Status(models.TextChoices):
        ACTIVE = "active", "有效"
        REVOKED = "revoked", "已撤销"

    honour = models.ForeignKey(
        Honour,
        verbose_name="荣誉",
        on_delete=models.PROTECT,
        related_name="awards",
        db_index=False,  # the (honour, year) index serves it
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name="获得者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
    )
    unit = models.ForeignKey(
        "people.Unit",
        verbose_name="获得集体",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="awards",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年份")
    batch = models.CharField("批次", max_length=40, blank=True)
    categories = models.ManyToManyField(Category, verbose_name="类别", blank=True)
    deeds = models.TextField("事迹", blank=True, max_length=5000)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    revoked_on = models.DateField("撤销日期", null=True, blank=True)
    revoked_reason = models.CharField("撤销原因", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "授予记录"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(person__isnull=False, unit__isnull=True)
                    | models.Q(person__isnull=True, unit__isnull=False)
                ),
                name="award_one_holder",
            ),
            models.UniqueConstraint(
                fields=["honour", "person", "year"],
                condition=models.Q(person__isnull=False),
                name="award_person_unique",
            ),
            models.UniqueConstraint(
                fields=["honour", "unit", "year"],
                condition=models.Q(unit__isnull=False),
                name="award_unit_unique",
            ),
            models.CheckConstraint(condition=models.Q(year__gte=1949), name="award_year_sane"),
        ]
        # (org_unit has its foreign key's index.)
        indexes = [models.Index(fields=["honour", "year"])]

    def __str__(self) -> str:
        return f"{self.holder} · {self.year} {self.honour}"

    @property
    def holder(self):
        return self.person if self.person_id else self.unit


class Merge(models.Model):
    """A merge of duplicate people (一人一档): what moved from the loser to the survivor,
    so an administrator can reverse it."""

    survivor = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="保留人员"
    )
    loser = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="被合并人员"
    )
    moved = models.JSONField("迁移记录", default=dict)
    merged_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", verbose_name="合并人"
    )
    merged_at = models.DateTimeField("合并时间", auto_now_add=True)
    reversed_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "人员合并"

    def __str__(self) -> str:
        return f"{self.loser_id} → {self.survivor_id}"


class Studio(models.Model):
    """An innovation studio (职工 / 劳模 / 工匠创新工作室) of an employer: offered to a title
    winner's unit by the contests app or registered by a union (level city or district,
    often named after its model worker or craftsman); its members and yearly output reports
    live in training, its yearly grant in a funds programme. A record may start with only
    the offer."""

    class Status(models.TextChoices):
        OFFERED = "offered", "已提名（待单位确认）"
        ACTIVE = "active", "已挂牌"
        DECLINED = "declined", "单位放弃"

    class Kind(models.TextChoices):
        WORKER = "worker", "职工创新工作室"
        MODEL_WORKER = "model_worker", "劳模创新工作室"
        CRAFTSMAN = "craftsman", "工匠创新工作室"

    class Level(models.TextChoices):
        CITY = "city", "市级"
        DISTRICT = "district", "区级"

    name = models.CharField("名称", max_length=120)
    employer = models.ForeignKey(
        "people.Unit", verbose_name="所在单位", on_delete=models.PROTECT, related_name="studios"
    )
    leader = models.ForeignKey(
        "people.Person",
        verbose_name="领衔人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="studios",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="offered")
    source = models.CharField("来源", max_length=200, blank=True, help_text="如：第一届北京大工匠")
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.CRAFTSMAN)
    level = models.CharField("级别", max_length=10, choices=Level.choices, blank=True)
    named_after = models.ForeignKey(
        "people.Person",
        verbose_name="命名人（劳模或工匠）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    trade = models.CharField("专业领域/工种", max_length=60, blank=True)
    founded_year = models.PositiveSmallIntegerField("创建年份", null=True, blank=True)
    grant_fen_per_year = models.BigIntegerField("每年资助（分）", default=0)
    grant_years = models.PositiveSmallIntegerField("资助年数", default=0)
    offered_at = models.DateTimeField("提名时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "创新工作室"
        ordering = ["-offered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grant_fen_per_year__gte=0), name="studio_grant_sane"
            )
        ]

    def __str__(self) -> str:
        return self.name
