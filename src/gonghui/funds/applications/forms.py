"""Application forms, one per apply kind (the programme's rule fills the choices), the
decision and withdrawal forms. They parse and put errors beside their fields; the service
checks the rest and names the field it refuses (same names as here)."""

from __future__ import annotations

from django import forms

from gonghui.funds.applications.eligibility import DOCUMENTS, GRADES
from gonghui.funds.models import Application, Review

BIG = {"class": "big"}  # large targets on a phone
FILE = {"class": "big", "accept": ".pdf,.png,.jpg,.jpeg"}
FILE_HELP = "PDF 或照片（PNG/JPEG），可用手机拍照上传"
DATE = {"class": "big", "type": "date"}


def _file(label: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        help_text=FILE_HELP,
        widget=forms.ClearableFileInput(attrs=FILE),
        error_messages={"required": f"请上传{label}", "empty": "文件是空的"},
    )


def say_what_is_missing(form: forms.Form) -> None:
    """Each field's own "required" and "invalid" messages, naming it (not Django's)."""
    for field in form.fields.values():
        choose = isinstance(field, forms.ChoiceField)
        field.error_messages.setdefault("required", "")
        if field.error_messages["required"] in (
            "",
            "This field is required.",
            "这个字段是必填项。",
        ):
            field.error_messages["required"] = f"请{'选择' if choose else '填写'}{field.label}"
        if isinstance(field, forms.DateField):
            field.error_messages["invalid"] = f"{field.label}应为日期（年-月-日）"
        if choose:
            field.error_messages["invalid_choice"] = f"请从列表中选择{field.label}"


class KindForm(forms.Form):
    """A kind's form: ``facts()`` for the service, ``documents()`` its files."""

    route = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        say_what_is_missing(self)

    def facts(self) -> dict:
        data = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in self.cleaned_data.items()
            if k not in DOCUMENTS.get(self.route, {})
        }
        return {**data, "route": self.route} if self.route else data

    def documents(self) -> dict:
        return {k: self.cleaned_data.get(k) for k in DOCUMENTS.get(self.route, {})}


class CertificateForm(KindForm):
    route = "certificate"
    certificate_no = forms.CharField(
        label="证书编号",
        max_length=60,
        help_text="职业资格证书或职业技能等级证书上的编号；每本证书只补贴一次",
        widget=forms.TextInput(attrs={**BIG, "autocomplete": "off"}),
    )
    level = forms.ChoiceField(label="证书等级", widget=forms.Select(attrs=BIG))
    trade = forms.CharField(label="职业（工种）", max_length=60, widget=forms.TextInput(attrs=BIG))
    issued_on = forms.DateField(label="发证日期", widget=forms.DateInput(attrs=DATE))
    certificate_doc = _file(DOCUMENTS["certificate"]["certificate_doc"])

    def __init__(self, *args, rule=None, year=None, **kwargs):
        super().__init__(*args, **kwargs)
        rule = rule or {}
        levels = list(rule.get("levels", {}))
        aliases = rule.get("aliases", {})
        self.fields["level"].choices = (
            [("", "请选择")]
            + [
                (name, name + "".join(f" / {a}" for a, lv in aliases.items() if lv == name))
                for name in levels
            ]
            + [(a, f"{a}（按{lv}）") for a, lv in aliases.items()]
        )
        listed = (rule.get("trades") or {}).get(str(year)) if year else None
        if listed:
            self.fields["trade"] = forms.ChoiceField(
                label="职业（工种）",
                choices=[("", "请选择")] + [(t, t) for t in listed],
                help_text=f"{year}年补贴的工种",
                widget=forms.Select(attrs=BIG),
            )
            say_what_is_missing(self)


class FinalistForm(KindForm):
    route = "finalist"
    competition = forms.ChoiceField(
        label="竞赛",
        help_text="决赛前十名（最高一级为半决赛的，前五名）可申请，名次以竞赛公布的成绩为准",
        widget=forms.Select(attrs=BIG),
    )

    def __init__(self, *args, competitions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["competition"].choices = [("", "请选择")] + list(competitions)


class IllnessForm(KindForm):
    route = "illness"
    self_paid = forms.CharField(
        label="个人自付费用（元）",
        max_length=20,
        help_text="扣除医保报销、政府救助和职工互助保障后个人负担的费用，最多两位小数",
        widget=forms.TextInput(attrs={**BIG, "inputmode": "decimal"}),
    )
    grade = forms.ChoiceField(
        label="困难等级",
        required=False,
        choices=[("", "按困难认定记录"), *[(g, g) for g in GRADES]],
        widget=forms.Select(attrs=BIG),
    )
    diagnosis = forms.CharField(
        label="诊断（疾病名称）", max_length=100, widget=forms.TextInput(attrs=BIG)
    )
    event_date = forms.DateField(label="确诊或住院日期", widget=forms.DateInput(attrs=DATE))
    hospital = forms.CharField(label="就诊医院", max_length=100, widget=forms.TextInput(attrs=BIG))
    diagnosis_doc = _file(DOCUMENTS["illness"]["diagnosis_doc"])
    bills_doc = _file(DOCUMENTS["illness"]["bills_doc"])
    hardship_doc = _file(DOCUMENTS["illness"]["hardship_doc"])


class StudioForm(KindForm):
    """A studio's grant for a year, released only against the studio's approved yearly
    output report of that year (training's district-then-city review): the report is
    picked here, the studio and the year follow from it. Its evidence is the report's own,
    so no document is uploaded again."""

    route = "studio"
    report = forms.ChoiceField(
        label="年度成果报告",
        help_text="只列出经区级、市级审核通过的年度成果报告；资助年度即报告年度",
        widget=forms.Select(attrs=BIG),
    )

    def __init__(self, *args, reports=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reports = {str(r.pk): r for r in reports}
        self.fields["report"].choices = [("", "请选择")] + [
            (
                pk,
                f"{r.studio.name} · {r.year}年度（{r.studio.employer.name} · "
                f"领衔人 {r.studio.leader.name}）",
            )
            for pk, r in self.reports.items()
        ]

    def facts(self) -> dict:
        report = self.reports[self.cleaned_data["report"]]
        return {"studio": report.studio_id, "year": str(report.year), "report": report.pk}


class DecideForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        say_what_is_missing(self)

    decision = forms.ChoiceField(
        label="审核决定",
        choices=Review.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择通过或不通过"},
    )
    note = forms.CharField(
        label="意见",
        max_length=500,
        required=False,
        help_text="不通过时必填，申请人可见",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回原因（选填）", max_length=200, required=False)


STATUS_CHOICES = [("", "全部"), *Application.Status.choices]
LEVEL_CHOICES = [("", "全部"), ("1", "待基层核实"), ("2", "待区级审核"), ("3", "待市级审批")]
