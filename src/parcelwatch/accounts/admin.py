from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Jurisdiction, Membership, User

admin.site.site_header = _("Parcel Delivery Safety Supervision Platform · administration")
admin.site.site_title = _("Administration")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["jurisdiction", "enterprise"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + ((_("Contact"), {"fields": ("full_name", "phone")}),)
    list_display = ("username", "full_name", "is_active", "last_login")
    search_fields = ("username", "full_name")
    inlines = [MembershipInline]


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    readonly_fields = ("path",)
