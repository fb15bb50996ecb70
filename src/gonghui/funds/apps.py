from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "gonghui.funds"
    verbose_name = "资金与帮扶"
