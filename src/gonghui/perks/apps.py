from django.apps import AppConfig


class PerksConfig(AppConfig):
    name = "gonghui.perks"
    verbose_name = "会员服务"

    def ready(self):
        from gonghui.perks import merging  # noqa: F401  (a merge carries cards and claims)
