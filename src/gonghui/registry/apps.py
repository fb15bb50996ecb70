from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "gonghui.registry"
    label = "registry"
    verbose_name = "劳模工匠档案"
