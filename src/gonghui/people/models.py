"""The platform's one table of people (职工/人员) and their union memberships (会籍).

Every module — registry, nominations, contests, funds, giveaways, training — refers to
``Person``; none keeps a second table of people.
"""

from django.conf import settings
from django.db import models

from gonghui.common.fields import BlindIndexField, ProtectedField


class Person(models.Model):
    """A person known to the platform: a member, a model worker, a craftsman, a payee."""

    class Gender(models.TextChoices):
        MALE = "M", "男"
        FEMALE = "F", "女"

    name = models.CharField("姓名", max_length=60)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    id_number = ProtectedField("身份证号", kind="id_number", null=True, blank=True)
    id_number_index = BlindIndexField(source="id_number")
    no_id_reason = models.CharField("无身份证号原因", max_length=200, blank=True)
    phone = ProtectedField("联系电话", kind="phone", null=True, blank=True)
    phone_index = BlindIndexField(source="phone")
    org_unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name="所属工会", on_delete=models.PROTECT, related_name="people"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="平台账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    is_public = models.BooleanField("同意公开", default=False)
    public_fields = models.JSONField("可公开字段", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        indexes = [models.Index(fields=["org_unit", "name"])]

    def __str__(self) -> str:
        return self.name


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
