from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "gonghui.files"
    label = "files"
    verbose_name = "附件"
