from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "gonghui.training"
    verbose_name = "职工素质建设"

    def ready(self):
        from gonghui.training import merging  # noqa: F401  (a merge carries training's rows)
