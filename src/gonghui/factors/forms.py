from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=24,
        required=False,  # the service says what is missing, with the lock-out counted
        help_text="验证器应用显示的 6 位数字；手机不在身边时，输入一个恢复码（如 ABCD-EFGH-JKLM-NPQR）",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class TotpForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        max_length=8,
        required=False,
        help_text="扫码添加后，输入验证器应用显示的 6 位数字以确认",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    name = forms.CharField(
        label="名称", max_length=64, required=False, help_text="便于区分，如“我的手机”"
    )


class RemoveForm(forms.Form):
    kind = forms.ChoiceField(choices=[("totp", "totp"), ("passkey", "passkey")])
    pk = forms.IntegerField(min_value=1)


class ResetForm(forms.Form):
    username = forms.CharField(label="账号", max_length=150)
    reason = forms.CharField(
        label="重置原因",
        max_length=200,
        help_text="记入审计日志，如“手机丢失，本人持工作证到场核实”。重置后该账号的全部验证方式与恢复码立即作废，下次登录须重新绑定",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
