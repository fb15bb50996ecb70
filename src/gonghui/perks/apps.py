from django.apps import AppConfig


class PerksConfig(AppConfig):
    name = "gonghui.perks"
    verbose_name = "会员服务"
