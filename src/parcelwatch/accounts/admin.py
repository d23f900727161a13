from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Jurisdiction, Membership, MembershipChange, TwoFactor, User
from .services import record_membership_change

admin.site.site_header = _("Parcel Delivery Safety Supervision Platform · administration")
admin.site.site_title = _("Administration")
admin.site.index_title = _("System administration")


def _admin_login(request, extra_context=None):
    """One login for everybody: the platform's own, with its throttling and lockout."""
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), login_url=reverse("accounts:login"))


admin.site.login = _admin_login
# Access is by role memberships, not Django groups and permissions.
admin.site.unregister(Group)


class MembershipInline(admin.StackedInline):
    """Roles of a user. An administrator never changes their own: another administrator does, on the record."""

    model = Membership
    extra = 0
    autocomplete_fields = ["jurisdiction", "enterprise", "partner_department"]

    def _own(self, request, obj) -> bool:
        return obj is not None and obj.pk == request.user.pk

    def has_add_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


class MembershipChangeInline(admin.TabularInline):
    model = MembershipChange
    fk_name = "user"
    extra = 0
    can_delete = False
    fields = ("at", "actor", "action", "role", "jurisdiction", "detail")
    readonly_fields = fields
    verbose_name_plural = _("changes of access")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email", "enforcement_id")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "full_name", "enforcement_id", "is_active", "last_login")
    list_filter = ("is_active", "memberships__role")
    search_fields = ("username", "full_name")
    inlines = [MembershipInline, MembershipChangeInline]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            # An administrator cannot raise or lower their own standing.
            fields += ["is_active", "is_staff", "is_superuser"]
        return fields

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        before = {m.pk: m for m in Membership.objects.filter(user=form.instance).select_related("enterprise")}
        super().save_formset(request, form, formset, change)
        for obj in formset.deleted_objects:
            record_membership_change(actor=request.user, membership=obj, action=MembershipChange.Action.REVOKE)
        for obj in formset.new_objects:
            record_membership_change(actor=request.user, membership=obj, action=MembershipChange.Action.GRANT)
        for obj, _fields in formset.changed_objects:
            old = before.get(obj.pk)
            detail = ""
            if old is not None:
                detail = str(_("was %(role)s @ %(place)s") % {"role": old.get_role_display(),
                                                               "place": old.jurisdiction.name})
            record_membership_change(actor=request.user, membership=obj, action=MembershipChange.Action.CHANGE,
                                     detail=detail)


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)


@admin.register(TwoFactor)
class TwoFactorAdmin(admin.ModelAdmin):
    """A user who lost their phone: the administrator deletes their authenticator; they log in with the password
    and set up a new one. The secret is never shown."""

    list_display = ("user", "confirmed_at")
    search_fields = ("user__username", "user__full_name")
    fields = ("user", "confirmed_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
