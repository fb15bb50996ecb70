"""Django admin, read-only: it must never become a way around data scope, the audit log or
the separation of the three administrators, so nothing here can add, change or delete, and
each model is shown only to a city-wide holder of its permission: the configuration (the
tree, roles, posts) to the system administrator (``system.config``), the audit tables to the
audit administrator (``audit.view``), the people (masked) to a city-wide ``people.view``."""

from django.contrib import admin

from gonghui.audit.models import AuditCheckpoint, AuditEvent
from gonghui.orgs import access
from gonghui.orgs.models import OrgUnit, Post, Role
from gonghui.people.models import Membership, Person
from gonghui.web.forms import LoginForm

ADMIN_PERMS = ("system.config", "audit.view", "people.view")


def _citywide(request, perm: str) -> bool:
    """A city-wide holder of ``perm`` who passed the second factor in this session
    (SecondFactorMiddleware sends the others to the second step first)."""
    user = request.user
    verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
    return (
        user.is_active and verified is not None and verified() and access.can_citywide(user, perm)
    )


admin.site.has_permission = lambda request: any(_citywide(request, p) for p in ADMIN_PERMS)
# The platform's login form, lock-out included: /admin/login/ is no way around it.
admin.site.login_form = LoginForm


class ReadOnlyAdmin(admin.ModelAdmin):
    perm = "system.config"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return _citywide(request, self.perm)

    def has_module_permission(self, request):
        return _citywide(request, self.perm)


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "level", "depth", "is_active")
    search_fields = ("code", "name")
    list_filter = ("level",)


@admin.register(Role)
class RoleAdmin(ReadOnlyAdmin):
    list_display = ("code", "name")


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ("user", "org_unit", "role", "scope", "is_active")


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    perm = "people.view"
    list_display = ("name", "gender", "org_unit")
    exclude = ("id_number", "phone", "id_number_index", "phone_index")  # never unmasked here


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    perm = "people.view"
    list_display = ("person", "org_unit", "status", "joined_on")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    perm = "audit.view"
    list_display = ("stream", "seq", "created_at", "actor_name", "action", "object_type")
    list_filter = ("stream", "action")


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    perm = "audit.view"
    list_display = ("stream", "seq", "time", "key_id")
