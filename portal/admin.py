from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from guardian.admin import GuardedModelAdminMixin

from portal.models import User, WorkerHeartbeat


@admin.register(User)
class UserAdmin(GuardedModelAdminMixin, DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "is_staff", "is_active", "last_login")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker", "beats", "last_seen_at")
    readonly_fields = ("worker", "beats", "last_seen_at", "created_at")

    def has_add_permission(self, request):
        return False
