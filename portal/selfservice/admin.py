"""Admin of the self-service records: read-only evidence (reset requests without their codes,
preferences and the history of consent), changed only by the customer in the portal."""

from django.contrib import admin

from portal.selfservice.models import ConsentChange, ContactPreference, PasswordResetRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "ip_address", "expires_at", "used_at", "failed_attempts")
    list_filter = ("created_at",)
    list_select_related = ("user",)
    # The code's hash and the number's digest stay out of sight.
    fields = ("user", "ip_address", "created_at", "expires_at", "used_at", "failed_attempts")


@admin.register(ContactPreference)
class ContactPreferenceAdmin(ReadOnlyAdmin):
    list_display = (
        "customer",
        "marketing_sms",
        "notices_by_sms",
        "messages_by_email",
        "updated_at",
    )
    list_filter = ("marketing_sms", "notices_by_sms", "messages_by_email")
    list_select_related = ("customer",)
    search_fields = ("customer__customer_number",)


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "customer", "field", "old_value", "new_value")
    list_filter = ("field",)
    list_select_related = ("customer",)
    search_fields = ("customer__customer_number",)
