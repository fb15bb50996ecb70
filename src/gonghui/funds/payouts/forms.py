"""Payout forms: parse and put errors next to their fields, in Chinese; the services check
the rest (deadline passed, maker-checker, the payee's own account, the receipt) and name
the field they refuse."""

from django import forms

from gonghui.common import money
from gonghui.funds.models import PayoutBatch, PayoutLine
from gonghui.orgs.fields import OrgUnitPicker, unit_choices

STATUS_CHOICES = [("", "全部状态"), *PayoutBatch.Status.choices]
LINE_STATUS_CHOICES = [("", "全部状态"), *PayoutLine.Status.choices]
FLAGGED_CHOICES = [("", "全部预判"), ("fail", "预判失败"), ("ok", "预判正常")]


class YuanField(forms.CharField):
    """An amount in yuan as typed ("17,000.00"), cleaned to int fen; a fraction of a fen
    is refused, never rounded."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            amount = money.fen(value)
        except money.MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None
        if amount < 0:
            raise forms.ValidationError("金额不能为负数")
        return amount


class BatchForm(forms.Form):
    name = forms.CharField(label="批次名称", max_length=120)
    org_unit = forms.TypedChoiceField(
        label="发放工会", coerce=int, choices=(), widget=OrgUnitPicker
    )
    run = forms.TypedChoiceField(
        label="发放计划", coerce=int, choices=(), required=False, empty_value=None
    )
    deadline = forms.DateField(
        label="发放截止",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="选择发放计划时默认为计划的截止日期（如：春节前最后一个工作日）",
        error_messages={"invalid": "日期格式应为 年-月-日"},
    )

    def __init__(self, *args, units=(), runs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].choices = unit_choices(units)
        self.fields["run"].choices = [("", "（不限：全部待发放）")] + [
            (r.pk, f"{r.name}（截止 {r.deadline:%Y-%m-%d}）") for r in runs
        ]


class ReturnsForm(forms.Form):
    file = forms.FileField(
        label="银行回盘文件",
        help_text="银行返回的 CSV 文件（UTF-8 或 GBK）；有任何一行不对，整个文件不导入并逐行说明",
        error_messages={"required": "请选择回盘文件"},
    )


class ReconcileForm(forms.Form):
    bank_count = forms.IntegerField(
        label="银行成功笔数",
        min_value=0,
        required=False,
        help_text="银行对账单上本批次成功入账的笔数；留空则按已导入的回盘核对",
        error_messages={"invalid": "应为整数", "min_value": "不能为负数"},
    )
    bank_total = YuanField(
        label="银行成功金额（元）",
        required=False,
        max_length=24,
        help_text="如 17000.00；最多两位小数",
    )

    def clean(self):
        data = super().clean()
        if (data.get("bank_count") is None) != (data.get("bank_total") is None):
            raise forms.ValidationError("银行成功笔数与金额请同时填写，或都留空")
        return data


class ReissueForm(forms.Form):
    how = forms.ChoiceField(
        label="改道方式",
        choices=[
            ("account", "改用其他账户（随补充文件报送银行）"),
            ("cash", "现金发放（本人签收）"),
        ],
        widget=forms.RadioSelect,
        initial="account",
    )
    account = forms.TypedChoiceField(label="改用账户", coerce=int, choices=(), required=False)
    receipt = forms.FileField(
        label="签收单",
        required=False,
        help_text="现金发放时必传：收款人签字的签收单扫描件（PDF、PNG 或 JPEG）",
    )
    note = forms.CharField(
        label="改道说明",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="如：与收款人电话核实，Ⅱ类卡超限，改用存折",
    )

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [("", "请选择")] + [(a.pk, label) for a, label in accounts]
