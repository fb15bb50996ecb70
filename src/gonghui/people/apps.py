from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "gonghui.people"
    label = "people"
    verbose_name = "人员与会籍"

    def ready(self) -> None:
        from gonghui.files.services import owner_guard
        from gonghui.orgs.signals import subtree_moved
        from gonghui.people import search
        from gonghui.people.models import Person
        from gonghui.people.services import require_live

        def moved(sender, *, old_path: str, new_path: str, **kwargs) -> None:
            search.move_subtree(old_path, new_path)

        subtree_moved.connect(moved, dispatch_uid="people.search.move_subtree")

        def live_owner(person: Person) -> None:  # read again, locked: a merge may be under way
            require_live(Person.objects.select_for_update().get(pk=person.pk))

        # A merged record's documents would stay on the redirect, never reach the record kept.
        owner_guard(Person, live_owner)
