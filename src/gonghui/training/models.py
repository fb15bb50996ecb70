"""Workers' quality building (职工素质建设): courses and lecture series with their sessions,
enrolment with a waitlist, attendance and its certificates; the question bank and the live
quizzes answered by phone (扫码答题); reading salons (读书沙龙) and their meetings; the yearly
output reports of innovation studios (the studios themselves are ``registry.Studio``); and
outreach: the speakers' bureau (宣讲团) and its talks, the chairmen's reception days
(工会主席接待日) with the problems raised there, and alliances (联盟) with their members and
activities. Money is integer fen.

What the database itself refuses, whatever code writes (constraints here, triggers in
``migrations/0002_guards.py``):

* more seated than a session holds (``session_seats_sane``: a seat is taken by one
  conditional UPDATE of ``Session.seated``, so 5,000 members at once never overfill it);
* two live enrolments of one person in one session (``enrolment_one_live``), two
  attendances (``attendance_once``), two submissions to one quiz (``submission_once``);
* a studio report with negative figures, two reports of one studio for one year;
* a review of a studio report by whoever submitted it (maker-checker, trigger).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

USER = settings.AUTH_USER_MODEL


# --- Courses, sessions, enrolment, attendance, certificates ----------------------------------


class Course(models.Model):
    """A course or a lecture series (e.g. 工匠讲堂) organised by a union node, often with a
    partner (首都工匠学院); its sessions are what members enrol in."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", "讲堂/讲座系列"
        COURSE = "course", "培训班"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        PUBLISHED = "published", "已发布"
        CLOSED = "closed", "已结束"

    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.LECTURE)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="主办工会", on_delete=models.PROTECT, related_name="+"
    )
    partner = models.CharField("合作单位", max_length=120, blank=True)
    description = models.TextField("简介", blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="draft")
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "课程与讲座"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One session (一期) of a course: place, time, capacity, lecturer (a person of the
    registry, or a name), audience (a union subtree; none = open to all members) and the
    enrolment window. ``seated`` counts the seated enrolments and is only ever moved by a
    conditional UPDATE (``seated < capacity``)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "按计划"
        CANCELLED = "cancelled", "已取消"

    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="sessions", verbose_name="课程"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="主办工会",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="课程的主办工会（冗余存放，便于按范围筛选）",
    )
    seq = models.PositiveSmallIntegerField("期次")
    title = models.CharField("主题", max_length=120)
    modes = models.CharField(
        "形式", max_length=60, blank=True, help_text="如：现场观摩+理论授课+实训操作"
    )
    lecturer = models.ForeignKey(
        "people.Person",
        verbose_name="主讲人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lecturer_name = models.CharField("主讲人（外请）", max_length=60, blank=True)
    place = models.CharField("地点", max_length=120)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    capacity = models.PositiveIntegerField("名额")
    seated = models.PositiveIntegerField("已报名", default=0)
    audience = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name="面向",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="留空为面向全体会员；选定工会则面向其下属全部会员",
    )
    enrol_opens_at = models.DateTimeField("报名开始")
    enrol_closes_at = models.DateTimeField("报名截止")
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )

    class Meta:
        verbose_name = verbose_name_plural = "课程场次"
        ordering = ["course_id", "seq", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "seq"], name="session_seq_once"),
            models.CheckConstraint(
                condition=Q(seated__lte=F("capacity")), name="session_seats_sane"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_time"),
            models.CheckConstraint(
                condition=Q(enrol_closes_at__gt=F("enrol_opens_at")), name="session_window"
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.course.name} 第{self.seq}期 {self.title}"


class Enrolment(models.Model):
    """A member's place in a session: seated, or on the waitlist in arrival order (the id),
    promoted when a seat frees. A cancelled enrolment stays as history."""

    class Status(models.TextChoices):
        SEATED = "seated", "已报名"
        WAITLISTED = "waitlisted", "候补中"
        CANCELLED = "cancelled", "已取消"

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="enrolments", verbose_name="课程场次"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    created_at = models.DateTimeField("报名时间", auto_now_add=True)
    seated_at = models.DateTimeField("获得名额时间", null=True, blank=True)
    cancelled_at = models.DateTimeField("取消时间", null=True, blank=True)
    created_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="创建人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "报名"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(status__in=["seated", "waitlisted"]),
                name="enrolment_one_live",
            )
        ]
        indexes = [
            models.Index(fields=["session", "status", "id"]),
            models.Index(fields=["person", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.session_id}: {self.status}"


class Attendance(models.Model):
    """A person present at a session: checked in by scanning the session's rotating QR code
    (``token_digest`` of the code used) or marked by staff."""

    class Method(models.TextChoices):
        QR = "qr", "扫码签到"
        STAFF = "staff", "工作人员登记"

    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="attendances", verbose_name="课程场次"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    method = models.CharField("方式", max_length=6, choices=Method.choices)
    at = models.DateTimeField("签到时间", auto_now_add=True)
    token_digest = models.CharField("令牌摘要", max_length=64, blank=True)
    marked_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="登记人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "签到"
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.session_id}"


class Certificate(models.Model):
    """An attendance certificate (结业/听课证明) of one attendance, checkable by its code."""

    attendance = models.OneToOneField(
        Attendance, on_delete=models.PROTECT, related_name="certificate", verbose_name="签到记录"
    )
    code = models.CharField("验证码", max_length=16, unique=True)
    issued_at = models.DateTimeField("出具时间", auto_now_add=True)
    issued_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="签发人",
    )

    class Meta:
        verbose_name = verbose_name_plural = "听课证明"

    def __str__(self) -> str:
        return self.code


# --- Question bank and live quizzes ----------------------------------------------------------


class Question(models.Model):
    """A question of a node's bank: single choice, multiple choice or true/false, with the
    right option(s) (indexes into ``options``) and an explanation shown after answering."""

    class Kind(models.TextChoices):
        SINGLE = "single", "单选题"
        MULTIPLE = "multiple", "多选题"
        TRUE_FALSE = "true_false", "判断题"

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("题型", max_length=10, choices=Kind.choices)
    text = models.TextField("题干")
    options = models.JSONField("选项", default=list)
    answer = models.JSONField("正确答案", default=list, help_text="正确选项的序号（从 0 起）")
    explanation = models.TextField("解析", blank=True)
    topic = models.CharField("知识点", max_length=60, blank=True)
    active = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "题库试题"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text[:30]


class Quiz(models.Model):
    """A quiz (扫码答题) at the end of a session: its paper (``QuizItem``, copies of the bank's
    questions frozen when the quiz is made), opened by staff for ``time_limit`` seconds
    measured by the server (``closes_at``), closed (and its submissions sealed) after."""

    class Status(models.TextChoices):
        DRAFT = "draft", "未开始"
        OPEN = "open", "答题中"
        CLOSED = "closed", "已结束"

    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quizzes",
        verbose_name="课程场次",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="主办工会", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("名称", max_length=120)
    time_limit = models.PositiveIntegerField("答题时限（秒）", default=300)
    attendees_only = models.BooleanField("仅限签到学员", default=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default="draft")
    opened_at = models.DateTimeField("开始时间", null=True, blank=True)
    closes_at = models.DateTimeField("截止时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "现场答题"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(time_limit__gte=10), name="quiz_time_limit")
        ]

    def __str__(self) -> str:
        return self.title


class QuizItem(models.Model):
    """A question on a quiz's paper, copied from the bank when the quiz was made (editing
    the bank later does not change a quiz already given)."""

    quiz = models.ForeignKey(
        Quiz, on_delete=models.CASCADE, related_name="items", verbose_name="现场答题"
    )
    position = models.PositiveSmallIntegerField("题号")
    question = models.ForeignKey(
        Question,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="试题",
    )
    kind = models.CharField("题型", max_length=10, choices=Question.Kind.choices)
    text = models.TextField("题干")
    options = models.JSONField("选项", default=list)
    answer = models.JSONField("正确答案", default=list)
    explanation = models.TextField("解析", blank=True)
    points = models.PositiveSmallIntegerField("分值", default=10)

    class Meta:
        verbose_name = verbose_name_plural = "答题试卷题目"
        ordering = ["quiz_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "position"], name="quiz_item_position")
        ]

    def __str__(self) -> str:
        return f"{self.quiz_id}#{self.position}"


class Submission(models.Model):
    """One attendee's answers to a quiz, scored by the server when received: one per
    person and quiz (``submission_once``), sealed into the audit chain when the quiz
    closes (``sealed``)."""

    quiz = models.ForeignKey(
        Quiz, on_delete=models.PROTECT, related_name="submissions", verbose_name="现场答题"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    answers = models.JSONField("作答", default=dict, help_text="{题号: [选项序号, ...]}")
    correct = models.JSONField("答对题号", default=list)
    score = models.PositiveIntegerField("得分", default=0)
    submitted_at = models.DateTimeField("提交时间")
    elapsed_ms = models.PositiveIntegerField("用时（毫秒）", default=0)
    sealed = models.BooleanField("已封存", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "答题记录"
        constraints = [models.UniqueConstraint(fields=["quiz", "person"], name="submission_once")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.quiz_id}: {self.score}"


# --- Reading salons --------------------------------------------------------------------------


class Salon(models.Model):
    """A reading salon (职工读书沙龙) a grassroots union applies for: a reading mentor
    (读书导师) and at least 25 members; approved by the union above, then reports its
    meetings."""

    class Status(models.TextChoices):
        APPLIED = "applied", "待审批"
        APPROVED = "approved", "已批准"
        REJECTED = "rejected", "未批准"
        CLOSED = "closed", "已结束"

    name = models.CharField("名称", max_length=120)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="申报工会", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    theme = models.CharField("读书主题", max_length=200, blank=True)
    mentor = models.ForeignKey(
        "people.Person", verbose_name="读书导师", on_delete=models.PROTECT, related_name="+"
    )
    requested_fen = models.BigIntegerField("申请资助金额（分）", default=0)
    grant_fen = models.BigIntegerField(
        "资助金额（分）", default=0, help_text="批准的金额，不超过申请金额"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="applied")
    applied_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="申请人"
    )
    applied_at = models.DateTimeField("申请时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审批人",
    )
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "读书沙龙"
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(grant_fen__gte=0), name="salon_grant_sane"),
            models.CheckConstraint(
                condition=Q(grant_fen__lte=F("requested_fen")), name="salon_grant_within_request"
            ),
            # Maker-checker: the account that applied never decides.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("applied_by")),
                name="salon_maker_checker",
            ),
            models.CheckConstraint(
                condition=Q(status="applied") | Q(decided_by__isnull=False),
                name="salon_decided_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["year", "status"], name="salon_year_status")]

    def __str__(self) -> str:
        return self.name


class SalonMember(models.Model):
    """A member of a reading salon."""

    salon = models.ForeignKey(
        Salon, on_delete=models.CASCADE, related_name="members", verbose_name="读书沙龙"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )

    class Meta:
        verbose_name = verbose_name_plural = "读书沙龙成员"
        constraints = [
            models.UniqueConstraint(fields=["salon", "person"], name="salon_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.salon_id}"


class SalonMeeting(models.Model):
    """A meeting a salon reports: date, book, attendance (photos are attachments)."""

    salon = models.ForeignKey(
        Salon, on_delete=models.PROTECT, related_name="meetings", verbose_name="读书沙龙"
    )
    held_on = models.DateField("活动日期")
    book = models.CharField("共读书目", max_length=200)
    summary = models.TextField("活动内容", blank=True)
    attendance = models.PositiveIntegerField("参加人数")
    reported_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="上报人"
    )
    reported_at = models.DateTimeField("上报时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "读书沙龙活动"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(attendance__gte=1), name="salon_meeting_attendance")
        ]

    def __str__(self) -> str:
        return f"{self.salon_id} {self.held_on}"


# --- Innovation studios: members and yearly output reports --------------------------------


class StudioMember(models.Model):
    """A member of an innovation studio (``registry.Studio``); apprentices (徒弟) marked."""

    class Role(models.TextChoices):
        MEMBER = "member", "成员"
        APPRENTICE = "apprentice", "徒弟"

    studio = models.ForeignKey(
        "registry.Studio", on_delete=models.CASCADE, related_name="+", verbose_name="创新工作室"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    role = models.CharField("角色", max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_on = models.DateField("加入日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "创新工作室成员"
        constraints = [
            models.UniqueConstraint(fields=["studio", "person"], name="studio_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.studio_id}"


class StudioReport(models.Model):
    """A studio's yearly output report (年度成果报告) with its evidence: patents (with their
    numbers), innovations adopted, apprentices trained (名师带徒), people trained, economic
    benefit and money saved (fen). Reviewed by the district, then the city; a funds grant of
    the year is released only against an approved report."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "待区级审核"
        DISTRICT_OK = "district_ok", "待市级审核"
        APPROVED = "approved", "已审核通过"
        RETURNED = "returned", "退回修改"

    studio = models.ForeignKey(
        "registry.Studio", on_delete=models.PROTECT, related_name="+", verbose_name="创新工作室"
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("年度")
    patents = models.JSONField(
        "专利", default=list, help_text='[{"number": "ZL2023...", "title": "..."}]'
    )
    patent_count = models.PositiveIntegerField("专利数", default=0)
    innovations = models.PositiveIntegerField("创新成果采纳数", default=0)
    apprentices = models.PositiveIntegerField("带徒人数", default=0)
    trained = models.PositiveIntegerField("培训人次", default=0)
    benefit_fen = models.BigIntegerField("创造经济效益（分）", default=0)
    saved_fen = models.BigIntegerField("节约资金（分）", default=0)
    summary = models.TextField("工作总结", blank=True)
    status = models.CharField(
        "状态", max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="提交人"
    )
    submitted_at = models.DateTimeField("提交时间")

    class Meta:
        verbose_name = verbose_name_plural = "创新工作室年度成果"
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["studio", "year"], name="studio_report_once"),
            models.CheckConstraint(
                condition=Q(benefit_fen__gte=0) & Q(saved_fen__gte=0), name="studio_report_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.studio_id} {self.year}"


class StudioReview(models.Model):
    """A decision on a studio report at one level (district, then city)."""

    class Level(models.TextChoices):
        DISTRICT = "district", "区级审核"
        CITY = "city", "市级审核"

    class Decision(models.TextChoices):
        APPROVE = "approve", "通过"
        RETURN = "return", "退回修改"

    report = models.ForeignKey(
        StudioReport, on_delete=models.PROTECT, related_name="reviews", verbose_name="年度成果"
    )
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    decision = models.CharField("决定", max_length=10, choices=Decision.choices)
    note = models.CharField("意见", max_length=500, blank=True)
    reviewer = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="审核人"
    )
    at = models.DateTimeField("审核时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "创新工作室成果审核"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.level} {self.decision}"


# --- Outreach: speakers' bureau, reception days, alliances ---------------------------------


class SpeakerTeam(models.Model):
    """A speakers' bureau (劳模工匠宣讲团) of a union node; its speakers are registry people."""

    name = models.CharField("名称", max_length=120)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="组建工会", on_delete=models.PROTECT, related_name="+"
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    description = models.TextField("简介", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "宣讲团"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Speaker(models.Model):
    """A speaker of a bureau (a person of the registry) and the talks they offer."""

    team = models.ForeignKey(
        SpeakerTeam, on_delete=models.CASCADE, related_name="speakers", verbose_name="宣讲团"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="+", verbose_name="人员"
    )
    topics = models.CharField("宣讲题目", max_length=300, blank=True)
    active = models.BooleanField("在册", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "宣讲员"
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="speaker_once")]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.team_id}"


class Talk(models.Model):
    """A talk a unit books from a bureau: date, audience, then the attendance reported."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "已预约"
        CONFIRMED = "confirmed", "已安排"
        DONE = "done", "已完成"
        CANCELLED = "cancelled", "已取消"

    team = models.ForeignKey(
        SpeakerTeam, on_delete=models.PROTECT, related_name="talks", verbose_name="宣讲团"
    )
    speaker = models.ForeignKey(
        Speaker,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="talks",
        verbose_name="宣讲员",
    )
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="预约工会", on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField("题目", max_length=200)
    on = models.DateField("日期")
    place = models.CharField("地点", max_length=120, blank=True)
    audience = models.CharField("听众", max_length=200, blank=True)
    expected = models.PositiveIntegerField("预计人数", default=0)
    attendance = models.PositiveIntegerField("实到人数", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="requested")
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    booked_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="预约人"
    )
    booked_at = models.DateTimeField("预约时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "宣讲活动"
        ordering = ["-on", "-id"]
        constraints = [
            # A talk given has a speaker and its attendance; a cancelled one says why.
            models.CheckConstraint(
                condition=Q(status__in=["requested", "cancelled"]) | Q(speaker__isnull=False),
                name="talk_arranged_has_speaker",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(attendance__isnull=False),
                name="talk_done_has_attendance",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                name="talk_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.on}"


class Visit(models.Model):
    """A chairmen's reception day (工会主席接待日): a visit to an enterprise (走访), its
    forum (座谈), and the problems raised there, each tracked to its answer (解决)."""

    class Stage(models.TextChoices):
        VISIT = "visit", "走访"
        FORUM = "forum", "座谈"
        SOLVE = "solve", "解决"
        DONE = "done", "已办结"

    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="组织工会", on_delete=models.PROTECT, related_name="+"
    )
    enterprise = models.ForeignKey(
        "people.Unit", verbose_name="走访企业", on_delete=models.PROTECT, related_name="+"
    )
    on = models.DateField("日期")
    participants = models.CharField("参加人员", max_length=300, blank=True)
    notes = models.TextField("走访与座谈纪要", blank=True)
    stage = models.CharField("阶段", max_length=6, choices=Stage.choices, default=Stage.VISIT)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "工会主席接待日"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.on} {self.enterprise_id}"


class Problem(models.Model):
    """A problem raised at a reception day, assigned to a responsible union node, due in a
    number of working days, answered, and the enterprise told of the outcome."""

    class Status(models.TextChoices):
        OPEN = "open", "办理中"
        ANSWERED = "answered", "已答复"
        CLOSED = "closed", "已办结（已告知企业）"

    visit = models.ForeignKey(
        Visit, on_delete=models.PROTECT, related_name="problems", verbose_name="接待日"
    )
    text = models.TextField("问题")
    raised_by = models.CharField("提出人", max_length=60, blank=True)
    assignee = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="责任单位", on_delete=models.PROTECT, related_name="+"
    )
    raised_on = models.DateField("交办日期")
    due_on = models.DateField("办理期限")
    status = models.CharField("状态", max_length=10, choices=Status.choices, default="open")
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="答复人",
    )
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    told_at = models.DateTimeField("告知企业时间", null=True, blank=True)
    told_how = models.CharField("告知方式", max_length=120, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接待日问题"
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["assignee", "status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=F("raised_on")), name="problem_due_sane"
            ),
            # Answered and closed problems hold their answer; closed ones how and when the
            # enterprise was told.
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(answer=""), name="problem_answered_has_answer"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(told_at__isnull=False) & ~Q(told_how="")),
                name="problem_closed_enterprise_told",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:30]


class Alliance(models.Model):
    """An alliance (劳模联盟, 创新工作室联盟, 重点企业工会联谊会) of a union node."""

    class Kind(models.TextChoices):
        MODEL_WORKERS = "model_workers", "劳模联盟"
        STUDIOS = "studios", "创新工作室联盟"
        ENTERPRISES = "enterprises", "重点企业工会联谊会"

    name = models.CharField("名称", max_length=120)
    kind = models.CharField("类型", max_length=14, choices=Kind.choices)
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="发起工会", on_delete=models.PROTECT, related_name="+"
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    description = models.TextField("简介", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "联盟"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class AllianceMember(models.Model):
    """A member of an alliance: a person (劳模联盟), a studio (创新工作室联盟) or an
    enterprise's union (联谊会) — exactly one of the three."""

    alliance = models.ForeignKey(
        Alliance, on_delete=models.CASCADE, related_name="members", verbose_name="联盟"
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="人员",
    )
    studio = models.ForeignKey(
        "registry.Studio",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="创新工作室",
    )
    member_unit = models.ForeignKey(
        "orgs.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="成员单位",
    )
    joined_on = models.DateField("加入日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "联盟成员"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(person__isnull=False, studio__isnull=True, member_unit__isnull=True)
                    | Q(person__isnull=True, studio__isnull=False, member_unit__isnull=True)
                    | Q(person__isnull=True, studio__isnull=True, member_unit__isnull=False)
                ),
                name="alliance_member_one_kind",
            ),
            models.UniqueConstraint(fields=["alliance", "person"], name="alliance_person_once"),
            models.UniqueConstraint(fields=["alliance", "studio"], name="alliance_studio_once"),
            models.UniqueConstraint(fields=["alliance", "member_unit"], name="alliance_unit_once"),
        ]

    def __str__(self) -> str:
        return f"{self.alliance_id}: {self.person_id or self.studio_id or self.member_unit_id}"


class AllianceActivity(models.Model):
    """An activity of an alliance (座谈, 参观, 交流)."""

    alliance = models.ForeignKey(
        Alliance, on_delete=models.PROTECT, related_name="activities", verbose_name="联盟"
    )
    on = models.DateField("日期")
    title = models.CharField("活动", max_length=200)
    kind = models.CharField("形式", max_length=30, blank=True, help_text="如：座谈、参观、交流")
    participants = models.PositiveIntegerField("参加人数", default=0)
    summary = models.TextField("内容", blank=True)
    created_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "联盟活动"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return self.title
