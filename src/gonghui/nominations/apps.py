from django.apps import AppConfig


class NominationsConfig(AppConfig):
    name = "gonghui.nominations"
    label = "nominations"
    verbose_name = "推荐评选"

    def ready(self):
        from gonghui.files.services import owner_rule
        from gonghui.nominations import merging  # noqa: F401  (a merge carries nominations)
        from gonghui.nominations.models import Objection
        from gonghui.nominations.selectors import may_see_objector

        # An objection's evidence, like the objector, is seen by the reviewing unit only.
        owner_rule(Objection, may_see_objector)
