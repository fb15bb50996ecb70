"""Giveaway forms: parse and show errors next to fields; services do the writing."""

from django import forms

from gonghui.common.schemas import FIRST_YEAR, LAST_YEAR
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit
from gonghui.perks.giveaways.selectors import organising_units, pickup_locations
from gonghui.perks.giveaways.services import STOCK_MAX
from gonghui.perks.models import Giveaway, Location

# The years the service accepts (it names a moment outside them next to its field).
MOMENT = forms.DateTimeInput(
    format="%Y-%m-%dT%H:%M",
    attrs={
        "type": "datetime-local",
        "min": f"{FIRST_YEAR}-01-01T00:00",
        "max": f"{LAST_YEAR}-12-31T23:59",
    },
)
MOMENT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def moment(label: str, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=MOMENT, input_formats=MOMENT_FORMATS, **kwargs)


class GiveawayForm(forms.Form):
    title = forms.CharField(label="活动名称", max_length=120)
    item = forms.CharField(
        label="物品", max_length=120, help_text="如：玫瑰情园套票（一票三人）、孝亲枕、新春大礼包"
    )
    description = forms.CharField(
        label="活动说明", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    org_unit = OrgUnitChoiceField(
        label="主办工会",
        queryset=OrgUnit.objects.none(),
        help_text="本工会及下级工会的持卡会员可以参加",
    )
    mode = forms.ChoiceField(
        label="方式",
        choices=Giveaway.Mode.choices,
        initial=Giveaway.Mode.LOTTERY,
        help_text="摇号更公平：登记截止后公开摇号，人人可复核",
    )
    stock = forms.IntegerField(label="数量", min_value=1, max_value=STOCK_MAX)
    per_member = forms.IntegerField(label="每人限领", min_value=1, max_value=10, initial=1)
    opens_at = moment("开始时间")
    closes_at = moment("截止时间")
    pickup_from = moment("领取开始")
    pickup_until = moment("领取截止")
    pickup_location = forms.ModelChoiceField(
        label="领取地点", queryset=Location.objects.select_related("merchant")
    )
    pickup_note = forms.CharField(label="领取说明", max_length=200, required=False)
    public_value_source = forms.CharField(
        label="公开随机数来源（摇号，可选）",
        max_length=200,
        required=False,
        help_text="事先公布，如：2026年5月1日福彩3D开奖号码；摇号时填入，与种子共同决定结果",
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pickup_location"].queryset = pickup_locations(actor)
        self.fields["org_unit"].queryset = organising_units(actor)


class DrawForm(forms.Form):
    public_value = forms.CharField(label="公开随机数", max_length=200, required=False)


class ReleaseForm(forms.Form):
    pickup_until = moment("候补领取截止")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="原因", max_length=200)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label="登记回执号", max_length=20)
