from django.apps import AppConfig


class ContestsConfig(AppConfig):
    name = "gonghui.contests"
    verbose_name = "工匠选树与技能竞赛"
