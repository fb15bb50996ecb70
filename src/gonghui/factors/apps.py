from django.apps import AppConfig


class FactorsConfig(AppConfig):
    name = "gonghui.factors"
    label = "factors"
    verbose_name = "二次验证"
