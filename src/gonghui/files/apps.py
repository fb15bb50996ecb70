from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "gonghui.files"
    label = "files"
    verbose_name = "附件"

    def ready(self):
        from gonghui.files import leftovers  # noqa: F401  (its receivers of the request signals)
