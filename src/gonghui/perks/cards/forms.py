"""Forms of the service cards' pages: parse and show errors next to fields; the services
(``services.py``, ``imports.py``) do the checking that matters and the writing."""

from django import forms

from gonghui.common.forms import FilterForm
from gonghui.common.widgets import NoEchoInput
from gonghui.perks.models import Card


class CardFilterForm(FilterForm):
    q = forms.CharField(label="卡号或姓名", required=False, max_length=60)
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部"), *Card.Status.choices]
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因", required=False, max_length=200, widget=forms.TextInput(attrs={"size": 30})
    )


class IdNumberForm(forms.Form):
    """Find a member by full resident ID: POSTed, so the number stays out of logs and URLs."""

    id_number = forms.CharField(
        label="身份证号",
        max_length=40,
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )


class CardImportForm(forms.Form):
    file = forms.FileField(label="发卡名单（.xlsx 或 .csv）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只接受 .xlsx 或 .csv 文件")
        if upload.size > 10 * 1024 * 1024:
            raise forms.ValidationError("文件不能超过 10 MB")
        return upload
