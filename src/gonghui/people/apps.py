from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "gonghui.people"
    label = "people"
    verbose_name = "人员与会籍"

    def ready(self) -> None:
        from gonghui.orgs.signals import subtree_moved
        from gonghui.people import search

        def moved(sender, *, old_path: str, new_path: str, **kwargs) -> None:
            search.move_subtree(old_path, new_path)

        subtree_moved.connect(moved, dispatch_uid="people.search.move_subtree")
