"""Forms of the merchants' pages and of the offers members browse: parse and show errors
next to fields; ``services.py`` does the checking that matters and the writing."""

from django import forms

from gonghui.common.forms import FilterForm
from gonghui.common.passwords import rules_text
from gonghui.orgs.fields import OrgUnitChoiceField
from gonghui.orgs.models import OrgUnit
from gonghui.perks.merchants.selectors import districts, signing_units
from gonghui.perks.models import Location, Merchant

DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class MerchantFilterForm(FilterForm):
    q = forms.CharField(label="商户名称", required=False, max_length=60)
    category = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部"), *Merchant.Category.choices]
    )
    plan = forms.ChoiceField(
        label="合作类型", required=False, choices=[("", "全部"), *Merchant.Plan.choices]
    )
    district = OrgUnitChoiceField(
        label="门店所在区", required=False, queryset=OrgUnit.objects.none(), empty_label="全部"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts()


class MerchantForm(forms.Form):
    name = forms.CharField(label="商户名称", max_length=120)
    category = forms.ChoiceField(label="类别", choices=Merchant.Category.choices)
    plan = forms.ChoiceField(label="合作类型", choices=Merchant.Plan.choices)
    discount = forms.CharField(
        label="优惠内容", max_length=200, help_text="如：凭服务卡洗车 8 折，每月限 2 次"
    )
    description = forms.CharField(
        label="商户介绍", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    phone = forms.CharField(label="服务电话", required=False, max_length=40)
    valid_from = forms.DateField(label="合作开始", widget=DATE)
    valid_until = forms.DateField(label="合作截止", widget=DATE)
    is_active = forms.BooleanField(label="启用（会员可见、可核验）", required=False, initial=True)

    def __init__(self, *args, actor=None, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            self.fields = {
                "org_unit": OrgUnitChoiceField(label="签约工会", queryset=signing_units(actor)),
                **self.fields,
            }


class LocationForm(forms.Form):
    name = forms.CharField(label="门店名称", max_length=120)
    address = forms.CharField(label="地址", max_length=200)
    district = OrgUnitChoiceField(label="所在区", queryset=OrgUnit.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts()


class OfferForm(forms.Form):
    title = forms.CharField(label="优惠名称", max_length=120)
    discount = forms.CharField(label="优惠力度", max_length=60, help_text="如：8折、满100减20")
    terms = forms.CharField(
        label="使用说明", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_from = forms.DateField(label="开始日期", widget=DATE)
    valid_until = forms.DateField(label="截止日期", widget=DATE)


class StaffForm(forms.Form):
    username = forms.CharField(label="核验账号用户名", max_length=150)
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    location = forms.ModelChoiceField(
        label="门店", required=False, queryset=Location.objects.none(), empty_label="该商户所有门店"
    )

    def __init__(self, *args, merchant: Merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = merchant.locations.order_by("pk")
        self.fields["password"].help_text = rules_text() + "请当面告知商户并提醒修改。"


class OfferFilterForm(FilterForm):
    q = forms.CharField(label="搜索商户或优惠", required=False, max_length=40)
    category = forms.ChoiceField(
        label="类别", required=False, choices=[("", "全部类别"), *Merchant.Category.choices]
    )
    district = OrgUnitChoiceField(
        label="区", required=False, queryset=OrgUnit.objects.none(), empty_label="全部区"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts()
