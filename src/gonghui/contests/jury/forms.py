"""Jury forms: parse and say what is wrong next to the field; the services write."""

from django import forms

from gonghui.common.schemas import MAX_ID
from gonghui.common.widgets import NoEchoInput


class JurorForm(forms.Form):
    name = forms.CharField(label="姓名", max_length=60)
    id_number = forms.CharField(
        label="身份证号",
        max_length=30,
        widget=NoEchoInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text="只用于确认同一人不重复登记：平台只保存其加密摘要，不保存、不显示号码本身",
    )
    employer_name = forms.CharField(
        label="工作单位",
        max_length=120,
        required=False,
        help_text="与参赛人工作单位相同时自动回避该参赛人",
    )
    relations = forms.MultipleChoiceField(
        label="本人申报的关系（回避）",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="与其有亲属等利害关系的参赛人，该评委不能对其投票",
    )

    def __init__(self, *args, entrants=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relations"].choices = [
            (str(e.pk), f"{e.number:03d} {e.person.name}（{e.competition.name}）") for e in entrants
        ]

    def clean_relations(self):
        return [int(pk) for pk in self.cleaned_data["relations"]]


class VoteForm(forms.Form):
    """One vote from the juror's phone page (``key``: fixed when the page was shown, so the
    same form sent twice is one vote)."""

    stage = forms.IntegerField(min_value=1, max_value=MAX_ID)
    entrant = forms.IntegerField(min_value=1, max_value=MAX_ID)
    value = forms.CharField(label="分数", max_length=12)
    key = forms.CharField(max_length=64)
