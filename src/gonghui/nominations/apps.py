from django.apps import AppConfig


class NominationsConfig(AppConfig):
    name = "gonghui.nominations"
    label = "nominations"
    verbose_name = "推荐评选"
