"""Member services (会员服务): the member service card (小红卡), partner merchants and their
offers, and giveaways (普惠活动 / 抢票).

The giveaway's guarantees are the database's: UNIQUE(giveaway, person) so nobody holds two
claims, a CHECK on taken <= stock with a conditional update so nothing is oversold, a
unique pickup code accepted once by a conditional update. Claims are their own record;
they are sealed into the giveaway's audit stream in batches
(``giveaways.services.claims_seal``)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Card(models.Model):
    """工会会员互助服务卡: one live card (active or suspended) per person; a lost card is
    replaced by a new number and points to it, so the history stays."""

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        SUSPENDED = "suspended", "已暂停"
        CANCELLED = "cancelled", "已注销"
        LOST = "lost", "已挂失（已补卡）"

    number = models.CharField("卡号", max_length=16, unique=True)
    person = models.ForeignKey(
        "people.Person", verbose_name="持卡人", on_delete=models.PROTECT, related_name="cards"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="发卡工会",
        on_delete=models.PROTECT,
        related_name="cards",
        help_text="持卡人会籍所在的基层工会：活动参与范围按此判断",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="active")
    replaced_by = models.OneToOneField(
        "self",
        verbose_name="补发新卡",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaces",
    )
    issued_at = models.DateTimeField("发卡时间", auto_now_add=True)
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_reason = models.CharField("状态变更原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "会员服务卡"
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=["active", "suspended"]),
                name="card_one_live_per_person",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Merchant(models.Model):
    """合作商户 of the service card or of the partner plan (关爱职工伙伴计划), signed by a
    union node (the node's staff maintain it)."""

    class Category(models.TextChoices):
        BEAUTY = "beauty", "美容美发"
        CAR = "car", "洗车修车"
        HOUSEKEEPING = "housekeeping", "家政服务"
        SHOPPING = "shopping", "购物游园"
        CINEMA = "cinema", "观影"
        MEDICAL = "medical", "就医"
        HEALTH = "health", "医疗健康"
        LIVING = "living", "生活服务"
        CULTURE = "culture", "文化体育"
        FOOD = "food", "餐饮美食"

    class Plan(models.TextChoices):
        CARD = "card", "服务卡合作商户"
        PARTNER = "partner", "关爱职工伙伴计划"

    name = models.CharField("商户名称", max_length=120)
    category = models.CharField("类别", max_length=16, choices=Category.choices)
    plan = models.CharField("合作类型", max_length=10, choices=Plan.choices, default="card")
    discount = models.CharField("优惠内容", max_length=200)
    description = models.TextField("商户介绍", blank=True)
    phone = models.CharField("服务电话", max_length=40, blank=True)
    valid_from = models.DateField("合作开始")
    valid_until = models.DateField("合作截止")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="签约工会", on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "合作商户"
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="merchant_validity"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """A merchant's shop, counter or venue (门店 / 领取点), in a district."""

    merchant = models.ForeignKey(
        Merchant, verbose_name="商户", on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField("门店名称", max_length=120)
    address = models.CharField("地址", max_length=200)
    district = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所在区", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "商户门店"
        ordering = ["merchant", "id"]

    def __str__(self) -> str:
        return f"{self.merchant.name}·{self.name}"


class Offer(models.Model):
    """An offer (优惠) a merchant gives card holders, for a period."""

    merchant = models.ForeignKey(
        Merchant, verbose_name="商户", on_delete=models.CASCADE, related_name="offers"
    )
    title = models.CharField("优惠名称", max_length=120)
    discount = models.CharField("优惠力度", max_length=60)
    terms = models.TextField("使用说明", blank=True)
    valid_from = models.DateField("开始日期")
    valid_until = models.DateField("截止日期")

    class Meta:
        verbose_name = verbose_name_plural = "商户优惠"
        ordering = ["-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="offer_validity"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MerchantStaff(models.Model):
    """A merchant's counter account: verifies cards and accepts pickup codes at its
    locations (or at one location), nothing else."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        on_delete=models.CASCADE,
        related_name="merchant_staff",
    )
    merchant = models.ForeignKey(
        Merchant, verbose_name="商户", on_delete=models.CASCADE, related_name="staff"
    )
    location = models.ForeignKey(
        Location,
        verbose_name="门店",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text="留空表示该商户的所有门店",
    )

    class Meta:
        verbose_name = verbose_name_plural = "商户核验人员"

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"


class CardUse(models.Model):
    """A card shown at a merchant's counter: each signed QR code is accepted once."""

    card = models.ForeignKey(
        Card, verbose_name="服务卡", on_delete=models.PROTECT, related_name="uses"
    )
    merchant = models.ForeignKey(Merchant, verbose_name="商户", on_delete=models.PROTECT)
    location = models.ForeignKey(
        Location, verbose_name="门店", null=True, blank=True, on_delete=models.PROTECT
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核验人", on_delete=models.PROTECT
    )
    used_at = models.DateTimeField("使用时间", auto_now_add=True)
    token_digest = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "服务卡使用记录"
        indexes = [models.Index(fields=["card", "used_at"])]

    def __str__(self) -> str:
        return f"{self.card} @ {self.merchant}"


class Giveaway(models.Model):
    """普惠活动: limited free items for the card holders of a union subtree, either first come
    first served or by a lottery draw anyone can re-run (see ``draw.py``)."""

    class Mode(models.TextChoices):
        FCFS = "fcfs", "先到先得"
        LOTTERY = "lottery", "登记摇号"

    class Status(models.TextChoices):
        DRAFT = "draft", "筹备中"
        PUBLISHED = "published", "已发布"
        FROZEN = "frozen", "登记已截止（名单已冻结）"
        DRAWN = "drawn", "已摇号"
        CANCELLED = "cancelled", "已取消"

    title = models.CharField("活动名称", max_length=120)
    item = models.CharField("物品", max_length=120)
    description = models.TextField("活动说明", blank=True)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="主办工会",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="本工会及下级工会的持卡会员可以参加",
    )
    mode = models.CharField("方式", max_length=10, choices=Mode.choices, default="lottery")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="draft")
    stock = models.PositiveIntegerField("数量")
    taken = models.PositiveIntegerField("已领出", default=0)
    per_member = models.PositiveSmallIntegerField("每人限领", default=1)
    opens_at = models.DateTimeField("开始时间")
    closes_at = models.DateTimeField("截止时间")
    pickup_from = models.DateTimeField("领取开始")
    pickup_until = models.DateTimeField("领取截止")
    pickup_location = models.ForeignKey(
        Location, verbose_name="领取地点", on_delete=models.PROTECT, related_name="giveaways"
    )
    pickup_note = models.CharField("领取说明", max_length=200, blank=True)
    # The lottery's commitments, published step by step (see draw.py).
    # The seed is kept encrypted until the draw reveals it (``seed``).
    seed_sealed = models.TextField("抽签种子（密封）", blank=True, editable=False)
    seed = models.CharField("摇号种子", max_length=64, blank=True, editable=False)
    commitment = models.CharField("种子承诺值", max_length=64, blank=True, editable=False)
    public_value_source = models.CharField(
        "公开随机数来源", max_length=200, blank=True, help_text="如：某日某彩票开奖号码"
    )
    public_value = models.CharField("公开随机数", max_length=200, blank=True)
    receipts_hash = models.CharField("登记名单哈希", max_length=64, blank=True, editable=False)
    frozen_at = models.DateTimeField("名单冻结时间", null=True, blank=True)
    drawn_at = models.DateTimeField("摇号时间", null=True, blank=True)
    sealed_through = models.BigIntegerField("已封存至", default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "普惠活动"
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=F("stock")), name="giveaway_no_oversell"),
            models.CheckConstraint(condition=Q(per_member__gte=1), name="giveaway_per_member"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="giveaway_window"
            ),
            models.CheckConstraint(
                condition=Q(pickup_until__gt=F("pickup_from")), name="giveaway_pickup_window"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def stream(self) -> str:
        """The giveaway's own audit stream: its set-up, draw, pickups and claim seals."""
        return f"giveaway:{self.pk}"


class Claim(models.Model):
    """A member's claim (FCFS) or registration (lottery) in a giveaway: one per person.

    ``idem_key``/``request_hash`` make a retried request answer the same; ``code`` is the
    pickup code of a claim holding items; ``rank`` orders the lottery and the waitlist."""

    class Status(models.TextChoices):
        REGISTERED = "registered", "已登记"
        WON = "won", "待领取"
        WAITING = "waiting", "候补"
        PICKED_UP = "picked_up", "已领取"
        CANCELLED = "cancelled", "已取消"
        RELEASED = "released", "逾期未领（已释放）"

    # Every index costs each claim's insert: the giveaway is the first column of the
    # constraint and indexes below, and cards, pickup staff and places are never looked up
    # from here (their rows are never deleted), so those keys carry no index of their own.
    giveaway = models.ForeignKey(
        Giveaway,
        on_delete=models.PROTECT,
        related_name="claims",
        db_index=False,
        verbose_name="普惠活动",
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    card = models.ForeignKey(
        Card, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name="会员服务卡"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    quantity = models.PositiveSmallIntegerField("数量", default=1)
    # NULL, not "", where absent: the partial unique constraints below skip them.
    receipt = models.CharField("登记回执号", max_length=12, null=True, blank=True)  # noqa: DJ001
    rank = models.PositiveIntegerField("顺位", null=True, blank=True)
    code = models.CharField("领取码", max_length=10, null=True, blank=True)  # noqa: DJ001
    idem_key = models.CharField("幂等键", max_length=64)
    request_hash = models.CharField("请求摘要", max_length=64)
    created_at = models.DateTimeField("提交时间")
    won_at = models.DateTimeField("获得时间", null=True, blank=True)
    picked_up_at = models.DateTimeField("领取时间", null=True, blank=True)
    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name="核销人",
    )
    picked_up_location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name="领取门店",
    )
    closed_at = models.DateTimeField("取消/释放时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "领取记录"
        constraints = [
            models.UniqueConstraint(fields=["giveaway", "person"], name="claim_one_per_person"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(code__isnull=False), name="claim_code_unique"
            ),
            models.UniqueConstraint(
                fields=["giveaway", "receipt"],
                condition=Q(receipt__isnull=False),
                name="claim_receipt_unique",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="claim_quantity"),
        ]
        indexes = [
            models.Index(fields=["giveaway", "status", "rank", "id"]),
            # Sealing reads a giveaway's claims in id order from where it stopped.
            models.Index(fields=["giveaway", "id"], name="claim_giveaway_id"),
        ]

    def __str__(self) -> str:
        return f"{self.giveaway_id}/{self.person_id}"


class Hit(models.Model):
    """Claim requests of one member in one minute: the per-member rate limit, counted in the
    database when no Redis is configured (in the claim's own transaction)."""

    person_id = models.BigIntegerField("人员编号")
    minute = models.BigIntegerField("分钟")
    hits = models.PositiveIntegerField("请求次数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "领取请求计数"
        constraints = [
            models.UniqueConstraint(fields=["person_id", "minute"], name="hit_person_minute")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.minute}: {self.hits}"


class Message(models.Model):
    """A note to a member in the app (e.g. 候补成功：您已获得…), shown on their page."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="+", verbose_name="人员"
    )
    text = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "会员消息"
        indexes = [models.Index(fields=["person", "-created_at"])]

    def __str__(self) -> str:
        return self.text
