"""The platform's one table of people (职工/人员) and their union memberships (会籍).

Every module — registry, nominations, contests, funds, giveaways, training — refers to
``Person``; none keeps a second table of people.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gonghui.common.fields import BlindIndexField, ProtectedField, SortKeyField

# What a person may consent to show the public (field code -> how the form names it).
PUBLIC_FIELDS = {
    "name": "姓名",
    "gender": "性别",
    "birth_year": "出生年份",
    "org_unit": "所属工会",
    "employer": "工作单位",
    "trade": "工种",
    "deeds": "事迹",
    "portrait": "照片与视频",
}


class Trade(models.Model):
    """A trade (工种) from the maintained catalogue, e.g. 钳工, 数控机床操作工."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("工种", max_length=60, unique=True)
    category = models.CharField("类别", max_length=60, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "工种"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A unit (单位/集体): an employer, a team (班组) or a department — the holder of a
    collective honour such as 工人先锋号 and the employer of people."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", "企业/单位"
        TEAM = "team", "班组/团队"
        DEPARTMENT = "department", "部门"

    name = models.CharField("名称", max_length=120)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.ENTERPRISE)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="units"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "单位/集体"
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="unit_credit_code_unique",
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "name"])]

    def __str__(self) -> str:
        return self.name


class PersonQuerySet(models.QuerySet):
    """People. A search result (people.search) also knows the key rows it was read from:
    its count is taken from the search index alone, and a page of it (a slice) reads that
    page's ids from the index, then those people by primary key. No join of people and keys
    is left for the database to plan: on PostgreSQL, planning that join took longer than
    running it (1.4 ms against 0.2 ms for a page).

    The first page reads the ids of up to ``window`` matches in the same query, and so
    knows the count up to there: the page and its capped count are one read of the index,
    whatever the number of matches (a second query only to count cost more in building
    and compiling it than the database spent reading 1,000 index entries)."""

    _search = None  # a search result's keys, rows, shape, window and count: see found_by

    def _clone(self):
        clone = super()._clone()
        clone._search = self._search
        return clone

    def _filter_or_exclude(self, negate, args, kwargs):
        clone = super()._filter_or_exclude(negate, args, kwargs)
        clone._search = None  # a further filter: the keys alone no longer tell the rows
        return clone

    def with_related(self) -> PersonQuerySet:
        """With the rows shown beside a person on every registry page and export: the union
        node, the employer and the trade."""
        return self.select_related("org_unit", "employer", "trade")

    def found_by(self, keys, rows: PersonQuerySet, *, window: int = 0) -> PersonQuerySet:
        """This result, being ``rows`` (the people searched, with the same related rows)
        that have a key row in ``keys``, in the order of ``keys``; its first page reads the
        ids of up to ``window`` matches (the count's cap), counting them."""
        clone = self._chain()
        # The last item is shared by every clone: the count the first page read, if any.
        clone._search = (keys, rows, clone._shape(), window, {})
        return clone

    def _shape(self) -> tuple:
        """What, besides filters, makes the result: once re-ordered or reversed, annotated,
        deferred, made distinct, combined, locked, emptied or turned into values, it is no
        longer read from its keys."""
        q = self.query
        return (
            q.order_by,
            q.standard_ordering,
            q.extra_order_by,
            q.select_related,
            tuple(q.annotations),
            q.extra,
            q.deferred_loading,
            q.distinct,
            q.combinator,
            q.select_for_update,
            q.is_empty(),
            self._iterable_class,
            self._fields,
        )

    def _found_by(self):
        """The (keys, rows, window, counted) this result is read from, while they still
        tell it, else None."""
        if self._search is None:
            return None
        keys, rows, shape, window, counted = self._search
        return (keys, rows, window, counted) if self._shape() == shape else None

    def count_upto(self, cap: int) -> int:
        """min(count, cap), cheaply for a search result (without a query if its first page
        has counted that far)."""
        found = None if self.query.is_sliced else self._found_by()
        if not found:
            return self[:cap].count()
        keys, _, _, counted = found
        if "ids" in counted and (counted["ids"] < counted["read"] or counted["read"] >= cap):
            return min(counted["ids"], cap)
        return keys[:cap].count()

    def _fetch_all(self):
        found = self._found_by() if self._result_cache is None and self.query.is_sliced else None
        if found:
            keys, rows, window, counted = found
            low, high = self.query.low_mark, self.query.high_mark
            ids = keys.values_list("person_id", flat=True)
            if low == 0 and high is not None and window > high:
                ids = list(ids[:window])
                counted.update(ids=len(ids), read=window)
                ids = ids[:high]
            else:
                ids = list(ids[low:high])
            people = rows.using(self.db).in_bulk(ids)
            self._result_cache = [people[pk] for pk in ids if pk in people]
        super()._fetch_all()  # the prefetches, if any


class Person(models.Model):
    """A person known to the platform: a member, a model worker, a craftsman, a payee."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    class Rank(models.TextChoices):
        """Post/rank, as the selection rules use it (front-line first; heads and officials
        limited or excluded)."""

        WORKER = "worker", "一线工人"
        TECHNICIAN = "technician", "专业技术人员"
        MANAGER = "manager", "管理人员"
        ENTERPRISE_HEAD = "enterprise_head", "企业负责人"
        OFFICIAL = "official", "处级及以下干部"
        SENIOR_OFFICIAL = "senior_official", "局级及以上干部"
        OTHER = "other", "其他"

    class SkillLevel(models.TextChoices):
        APPRENTICE = "apprentice", "学徒工"
        LEVEL5 = "5", "五级/初级工"
        LEVEL4 = "4", "四级/中级工"
        LEVEL3 = "3", "三级/高级工"
        LEVEL2 = "2", "二级/技师"
        LEVEL1 = "1", "一级/高级技师"
        SPECIAL = "special", "特级技师"
        CHIEF = "chief", "首席技师"

    class Status(models.TextChoices):
        IN_POST = "in_post", "在职"
        RETIRED = "retired", "退休"
        DECEASED = "deceased", "已故"

    name = models.CharField("姓名", max_length=60)
    name_reading = models.CharField(
        "姓名拼音",
        max_length=420,
        blank=True,
        help_text="系统读不出或读错姓名时填写，每个字一个音节，用空格分隔（如 ji wen）",
    )
    name_sort = SortKeyField("拼音排序", source="name", reading="name_reading")
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    id_number = ProtectedField("身份证号", kind="id_number", null=True, blank=True)
    id_number_index = BlindIndexField("身份证号检索索引", source="id_number")
    no_id_reason = models.CharField("无身份证号原因", max_length=200, blank=True)
    phone = ProtectedField("联系电话", kind="phone", null=True, blank=True)
    phone_index = BlindIndexField("手机号检索索引", source="phone")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="所属工会",
        on_delete=models.PROTECT,
        related_name="people",
        db_index=False,  # the (org_unit, name) index serves it: one index less per insert
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="平台账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    employer = models.ForeignKey(
        Unit,
        verbose_name="工作单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="employees",
    )
    post_title = models.CharField("职务/岗位", max_length=60, blank=True)
    rank = models.CharField("岗位类别", max_length=20, choices=Rank.choices, blank=True)
    is_front_line = models.BooleanField("一线职工", default=False)
    trade = models.ForeignKey(
        Trade,
        verbose_name="工种",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    skill_level = models.CharField(
        "技能等级", max_length=12, choices=SkillLevel.choices, blank=True
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.IN_POST)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="已合并到",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    portrait = models.ForeignKey(
        "files.Attachment",
        verbose_name="照片",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    video_url = models.URLField("微视频链接", blank=True)
    is_public = models.BooleanField("同意公开", default=False)
    public_fields = models.JSONField("可公开字段", default=list, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "人员"
        constraints = [
            # A record without an ID number (a historical one) says why.
            models.CheckConstraint(
                condition=models.Q(id_number_index__isnull=False) | ~models.Q(no_id_reason=""),
                name="person_id_or_reason",
            ),
            # One person, one record.
            models.UniqueConstraint(
                fields=["id_number_index"],
                name="person_id_number_unique",
                condition=models.Q(id_number_index__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["org_unit", "name"]),
            models.Index(fields=["name_sort", "id"]),
            # Look-ups by resident ID use the partial unique index above; by phone this one.
            models.Index(fields=["phone_index"], name="person_phone_index"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_field_labels(self) -> list[str]:
        """The fields consented to, as the form names them (姓名、事迹), never as codes."""
        given = set(self.public_fields or [])
        return [label for code, label in PUBLIC_FIELDS.items() if code in given]


class Membership(models.Model):
    """A person's membership (会籍) of a grassroots union, from joining to leaving."""

    class Status(models.TextChoices):
        ACTIVE = "active", "在会"
        SUSPENDED = "suspended", "暂停"
        LEFT = "left", "已离会"

    person = models.ForeignKey(
        Person, verbose_name="人员", on_delete=models.PROTECT, related_name="memberships"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="基层工会",
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    joined_on = models.DateField("入会日期")
    left_on = models.DateField("离会日期", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = verbose_name_plural = "会籍"
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(status="active"), name="membership_one_active"
            ),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("joined_on")),
                name="membership_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.org_unit}"


class SearchKey(models.Model):
    """One search key of a person (see people.search): found by exact key on a B-tree index,
    identically on SQLite and PostgreSQL. ``public`` keys are built from consented fields
    only, for the honour wall, and start with ``+`` (``+c:赵郁``).

    Each row also carries what a search page needs, so that the page and its count are read
    from one index without visiting the people: ``path`` (the person's union node, for the
    data scope) and ``sort`` (0 for a key that is the whole name, its whole pinyin or its
    whole initials, else 1; then the name's pinyin sort key: exact matches first, then by
    pinyin)."""

    # Derived rows, written only by people.search: no foreign-key constraint in the
    # database, whose check per row (PostgreSQL's trigger) cost an import of 100,000 people
    # a third of its key inserts; Django still deletes them with their person.
    person = models.ForeignKey(
        "people.Person",
        on_delete=models.CASCADE,
        related_name="search_keys",
        db_index=False,  # the unique (person, key) index serves it (20 keys a person)
        db_constraint=False,
        verbose_name="人员",
    )
    key = models.CharField("检索键", max_length=40)
    path = models.CharField("组织路径", max_length=72, default="")
    sort = models.CharField("排序键", max_length=121, default="")

    class Meta:
        verbose_name = verbose_name_plural = "检索键"
        indexes = [
            models.Index(fields=["key", "sort", "person", "path"], name="searchkey_page"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="searchkey_person_key")
        ]

    def __str__(self) -> str:
        return self.key


class TransferRequest(models.Model):
    """A request to move a person's record into a union (申请转入), made when a post
    registers (or imports) a resident ID number already on record outside its scope.

    One person, one record: the post is told only that the person has a record and that a
    request went up, never where the record is. The request is decided by the staff of the
    lowest union above both places (``decider``: the district when both are in one
    district, the city federation when they are in two), who may already move the record
    between them; approving moves it with ``person_update``."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审批"
        APPROVED = "approved", "已同意转入"
        REFUSED = "refused", "未同意"
        # Two records of one person merged, each asked into the same union: one request.
        JOINED = "joined", "已并入同一人的另一申请"

    person = models.ForeignKey(
        Person, verbose_name="人员", on_delete=models.PROTECT, related_name="transfer_requests"
    )
    to_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="申请转入的工会", on_delete=models.PROTECT, related_name="+"
    )
    decider = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="审批工会", on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        on_delete=models.PROTECT,
        related_name="transfer_requests",
    )
    post = models.ForeignKey(
        "orgs.Post", verbose_name="申请岗位", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField("申请时填写的姓名", max_length=60)
    reason = models.CharField("申请经过", max_length=200)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "转入申请"
        constraints = [
            # A post asking again for the same person joins its pending request.
            models.UniqueConstraint(
                fields=["person", "to_unit"],
                condition=models.Q(status="pending"),
                name="transfer_one_pending",
            ),
        ]
        indexes = [models.Index(fields=["decider", "status"])]

    def __str__(self) -> str:
        return f"{self.name} → {self.to_unit}"
