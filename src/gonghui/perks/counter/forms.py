"""Forms of the merchant's counter: what a scanner types (a card's QR code, a pickup code);
``services.py`` does the checking."""

from django import forms

from gonghui.common.widgets import NoEchoInput


class VerifyForm(forms.Form):
    """What a USB or Bluetooth scanner types (it ends with Enter, which submits)."""

    token = forms.CharField(
        label="会员服务卡二维码",
        max_length=200,
        widget=NoEchoInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "placeholder": "扫描会员出示的二维码",
            }
        ),
    )


class PickupForm(forms.Form):
    code = forms.CharField(
        label="领取码",
        max_length=20,
        widget=NoEchoInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
