"""Forms of the payee-account and prediction pages: parse and say what is wrong next to the
field, in Chinese; the services check what matters (the number, duplicates, scope)."""

from __future__ import annotations

from django import forms

from gonghui.common import money
from gonghui.common.widgets import NoEchoInput
from gonghui.funds.models import PayeeAccount

CLASS_CHOICES = [("", "（存折、对公账户不分类）"), *PayeeAccount.AccountClass.choices]


class YuanField(forms.CharField):
    """An amount in yuan text ("2000", "1,500.50") as int fen; never a float."""

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return money.fen(value)
        except money.MoneyError as exc:
            raise forms.ValidationError(str(exc)) from None


class AccountForm(forms.Form):
    kind = forms.ChoiceField(label="账户类型", choices=PayeeAccount.Kind.choices)
    account_class = forms.ChoiceField(
        label="账户分类",
        choices=CLASS_CHOICES,
        required=False,
        help_text="Ⅱ类账户每日、每年从非绑定账户转入有限额；Ⅲ类账户余额有上限",
    )
    bank = forms.CharField(label="开户行", max_length=60)
    number = forms.CharField(
        label="账号",
        max_length=40,
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="12至19位数字；保存后只显示末4位",
    )
    bound_to_payer = forms.BooleanField(
        label="已绑定工会付款账户（不受Ⅱ类非绑定转入限额）", required=False
    )
    is_default = forms.BooleanField(label="设为默认收款账户", required=False)
    last_activity = forms.DateField(
        label="最近交易日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="超过365天未交易的账户，银行通常按久悬处理",
    )
    balance = YuanField(label="已知余额（元）", required=False, help_text="Ⅲ类账户预判余额上限用")


class AccountUpdateForm(forms.Form):
    status = forms.ChoiceField(label="银行报告的状态", choices=PayeeAccount.Status.choices)
    status_reported_at = forms.DateField(
        label="状态报告日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="留空为今天",
    )
    last_activity = forms.DateField(
        label="最近交易日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bank = forms.CharField(label="开户行", max_length=60)
    bound_to_payer = forms.BooleanField(label="已绑定工会付款账户", required=False)
    is_default = forms.BooleanField(label="默认收款账户", required=False)
    balance = YuanField(label="已知余额（元）", required=False)


class StatusImportForm(forms.Form):
    file = forms.FileField(
        label="银行账户状态报告（CSV：账号,状态[,最近交易日期]）",
        help_text="状态：正常、锁定、久悬、销户；按账号匹配本单位范围内的收款账户",
    )
    reported_on = forms.DateField(
        label="报告日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("只接受 .csv 文件")
        if upload.size > 20 * 1024 * 1024:
            raise forms.ValidationError("文件不能超过 20 MB")
        return upload


class VerdictFilterForm(forms.Form):
    verdict = forms.ChoiceField(
        label="预判结果",
        required=False,
        choices=[("", "全部"), ("failing", "预计失败（全部原因）")]
        + [
            (code, text)
            for code, text in [
                ("missing", "没有收款账户"),
                ("closed", "账户已销户"),
                ("locked", "账户已被银行锁定"),
                ("dormant", "账户久悬"),
                ("over_day", "Ⅱ类超单日限额"),
                ("over_year", "Ⅱ类超年度限额"),
                ("over_balance", "Ⅲ类超余额上限"),
                ("ok", "预计正常入账"),
            ]
        ],
    )


class RerouteForm(forms.Form):
    account = forms.IntegerField(label="改用账户", widget=forms.HiddenInput)
