from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "gonghui.dashboards"
    verbose_name = "数据看板"
