"""Studio pages' forms: they parse and show errors beside their fields; the services check
the rest and name the field they refuse (the same names as here). Employers and people
are picked from a search (``unit_q`` / ``person_q`` on the page narrow the lists)."""

from __future__ import annotations

from django import forms

from gonghui.common import money
from gonghui.common.forms import FilterForm
from gonghui.orgs import access
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit
from gonghui.people.models import Person, Unit
from gonghui.registry.models import Studio
from gonghui.training.models import StudioMember, StudioReport, StudioReview
from gonghui.training.studios import selectors
from gonghui.training.studios.figures import patent_rows, patents_text
from gonghui.training.studios.selectors import MANAGE

BIG = {"class": "big"}
CHOOSE = [("", "请选择")]


def _name_fields(form) -> None:
    """Each field's "required" and "invalid choice" message names it."""
    for field in form.fields.values():
        choose = isinstance(field, forms.ChoiceField)
        field.error_messages["required"] = f"请{'选择' if choose else '填写'}{field.label}"
        if choose:
            field.error_messages["invalid_choice"] = f"请从列表中选择{field.label}"
        if isinstance(field, forms.IntegerField):
            field.error_messages["invalid"] = f"{field.label}应为整数"


def _people(actor, posted: bool, q: str, keep=()) -> forms.ModelChoiceField:
    """People in the registry to pick from: on a POST all in scope (the posted one is
    checked), otherwise those the search found and those already chosen."""
    scoped = access.restrict(
        Person.objects.filter(merged_into__isnull=True), actor, "registry.view"
    )
    if posted:
        return scoped
    ids = [p.pk for p in selectors.people_for(actor=actor, q=q)] + [k for k in keep if k]
    return scoped.filter(pk__in=ids).order_by("name", "pk")


class StudioFilters(FilterForm):
    q = forms.CharField(label="名称或单位", required=False, max_length=60)
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部"), *Studio.Kind.choices]
    )
    level = forms.ChoiceField(
        label="级别", required=False, choices=[("", "全部"), *Studio.Level.choices]
    )
    district = OrgUnitChoiceField(
        label="区（产业）", required=False, queryset=None, empty_label="全部"
    )
    trade = forms.ChoiceField(label="专业领域", required=False)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Studio.Status.choices]
    )
    founded_year = forms.IntegerField(
        label="创建年份", required=False, min_value=1950, max_value=2100
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = selectors.districts()
        self.fields["trade"].choices = [("", "全部")] + [(t, t) for t in selectors.trades(actor)]
        self.fields["founded_year"].error_messages["invalid"] = "创建年份应为四位数字"
        self.fields["founded_year"].error_messages["min_value"] = "创建年份不早于 1950 年"
        self.fields["founded_year"].error_messages["max_value"] = "创建年份不晚于 2100 年"


class StudioForm(forms.Form):
    org_unit = OrgUnitChoiceField(label="所属工会", queryset=None, empty_label="请选择")
    name = forms.CharField(label="工作室名称", max_length=120)
    kind = forms.ChoiceField(label="类型", choices=CHOOSE + Studio.Kind.choices)
    level = forms.ChoiceField(label="级别", choices=CHOOSE + Studio.Level.choices)
    employer = forms.ModelChoiceField(
        label="所在单位",
        queryset=None,
        empty_label="请选择",
        help_text="在上方“查找单位”中按名称或统一社会信用代码查找",
    )
    leader = forms.ModelChoiceField(
        label="领衔人",
        queryset=None,
        required=False,
        empty_label="请选择",
        help_text="在上方“查找人员”中按姓名查找",
    )
    named_after = forms.ModelChoiceField(
        label="命名人（劳模或工匠）",
        queryset=None,
        required=False,
        empty_label="请选择",
        help_text="以劳模或工匠命名的工作室填写；须在荣誉库中有有效荣誉",
    )
    trade = forms.CharField(label="专业领域/工种", max_length=60, required=False)
    founded_year = forms.IntegerField(
        label="创建年份", required=False, min_value=1950, max_value=2100
    )

    def __init__(self, *args, actor, unit_q="", person_q="", studio=None, **kwargs):
        super().__init__(*args, **kwargs)
        posted = bool(self.data)
        self.fields["org_unit"].queryset = access.restrict(
            OrgUnit.objects.filter(is_active=True), actor, MANAGE, via=""
        ).order_by("path")
        units = access.restrict(Unit.objects.all(), actor, MANAGE)
        if not posted:
            ids = [u.pk for u in selectors.employers_for(actor=actor, q=unit_q)]
            if studio is not None:
                ids.append(studio.employer_id)
            units = units.filter(pk__in=ids)
        self.fields["employer"].queryset = units.order_by("name", "pk")
        keep = (studio.leader_id, studio.named_after_id) if studio is not None else ()
        people = _people(actor, posted, person_q, keep)
        self.fields["leader"].queryset = people
        self.fields["named_after"].queryset = people
        if studio is not None:
            del self.fields["org_unit"]
        _name_fields(self)
        self.fields["founded_year"].error_messages["max_value"] = "创建年份不能是未来年份"


class AcceptForm(forms.Form):
    level = forms.ChoiceField(label="级别", choices=CHOOSE + Studio.Level.choices)
    kind = forms.ChoiceField(label="类型", choices=CHOOSE + Studio.Kind.choices)
    trade = forms.CharField(label="专业领域/工种", max_length=60, required=False)
    founded_year = forms.IntegerField(
        label="创建年份", required=False, min_value=1950, max_value=2100
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _name_fields(self)


class DeclineForm(forms.Form):
    reason = forms.CharField(label="放弃原因", max_length=200, required=False)


class MemberForm(forms.Form):
    person = forms.ModelChoiceField(label="人员", queryset=None, empty_label="请选择")
    role = forms.ChoiceField(label="角色", choices=StudioMember.Role.choices)
    joined_on = forms.DateField(
        label="加入日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actor, person_q="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(actor, bool(self.data), person_q)
        _name_fields(self)
        self.fields["joined_on"].error_messages["invalid"] = "加入日期应为日期（年-月-日）"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several files at once (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(EvidenceField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class ReportForm(forms.Form):
    """Figures as typed: the service checks them and names what is wrong."""

    year = forms.CharField(
        label="年度", max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    patents = forms.CharField(
        label="专利",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "ZL202310123456.7 一种焊缝跟踪装置"}
        ),
        help_text="每行一项：专利号（如 ZL202310123456.7 或公告号 CN116123456A）、空格、专利名称",
    )
    innovations = forms.CharField(label="创新成果采纳数（项）", required=False, max_length=10)
    apprentices = forms.CharField(label="名师带徒人数", required=False, max_length=10)
    trained = forms.CharField(label="培训人次", required=False, max_length=10)
    benefit = forms.CharField(
        label="创造经济效益（元）",
        required=False,
        max_length=24,
        help_text="最多两位小数，如 2000000 或 2,000,000.00",
    )
    saved = forms.CharField(label="节约资金（元）", required=False, max_length=24)
    summary = forms.CharField(
        label="工作总结", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = EvidenceField(
        label="证明材料",
        required=False,
        help_text="专利证书、采纳证明、效益证明等（PDF 或照片），最多 10 个",
    )

    def __init__(self, *args, fixed_year=None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_year is not None:
            del self.fields["year"]
        _name_fields(self)

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["patents"] = patent_rows(data.get("patents", ""))
        return data


def report_initial(report: StudioReport) -> dict:
    return {
        "patents": patents_text(report.patents),
        "innovations": report.innovations,
        "apprentices": report.apprentices,
        "trained": report.trained,
        "benefit": money.yuan(report.benefit_fen),
        "saved": money.yuan(report.saved_fen),
        "summary": report.summary,
    }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="审核决定", choices=StudioReview.Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="意见",
        max_length=500,
        required=False,
        help_text="退回修改时必填，填报单位可见",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _name_fields(self)
        self.fields["decision"].error_messages["required"] = "请选择通过或退回修改"


class ReportFilters(FilterForm):
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *StudioReport.Status.choices]
    )
    year = forms.IntegerField(label="年度", required=False, min_value=1950, max_value=2100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].error_messages["invalid"] = "年度应为四位数字"


class AllianceFilters(FilterForm):
    kind = forms.ChoiceField(
        label="类型", required=False, choices=[("", "全部"), *Studio.Kind.choices]
    )
    level = forms.ChoiceField(
        label="级别", required=False, choices=[("", "全部"), *Studio.Level.choices]
    )
    district = OrgUnitChoiceField(
        label="区（产业）", required=False, queryset=None, empty_label="全部"
    )
    trade = forms.ChoiceField(label="专业领域", required=False)
    year_from = forms.IntegerField(label="起始年度", required=False, min_value=1950, max_value=2100)
    year_to = forms.IntegerField(label="截止年度", required=False, min_value=1950, max_value=2100)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = selectors.districts()
        self.fields["trade"].choices = [("", "全部")] + [(t, t) for t in selectors.trades(actor)]
        for key in ("year_from", "year_to"):
            self.fields[key].error_messages["invalid"] = f"{self.fields[key].label}应为四位数字"

    def clean(self):
        data = super().clean()
        if data.get("year_from") and data.get("year_to") and data["year_from"] > data["year_to"]:
            self.add_error("year_to", "截止年度不能早于起始年度")
        return data
