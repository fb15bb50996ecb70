"""The notary's forms: parse and show errors next to fields; services do the writing."""

from django import forms


class CountersignForm(forms.Form):
    signature = forms.CharField(
        label="会签签名（十六进制）",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        help_text="在本人电脑上用私钥为下载的消息签名，将打印出的 128 位十六进制签名粘贴于此",
        error_messages={"required": "请粘贴签名"},
    )


class NotaryForm(forms.Form):
    username = forms.CharField(
        label="公证员账号",
        max_length=150,
        help_text="公证员本人登录平台所用的账号（先为其开设账号）",
        error_messages={"required": "请填写公证员的账号"},
    )
    name = forms.CharField(
        label="公证员姓名", max_length=60, error_messages={"required": "请填写公证员姓名"}
    )
    office = forms.CharField(
        label="公证机构", max_length=120, error_messages={"required": "请填写公证机构"}
    )
    public_key = forms.CharField(
        label="公证员公钥（十六进制）",
        max_length=200,
        help_text="公证员在本人电脑上运行 gonghui contests notary-keygen 打印的公钥；平台不保存私钥",
        error_messages={"required": "请填写公证员公钥"},
    )
