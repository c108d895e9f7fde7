from django.contrib import admin

from .models import JobRun, PendingEmail


@admin.register(PendingEmail)
class PendingEmailAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "attempts", "sent_at"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["recipient", "subject"]
    readonly_fields = [f.name for f in PendingEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    """Read only: when each scheduled job last ran, where, and how it went."""

    list_display = ["name", "started_at", "finished_at", "succeeded", "host", "next_run_at"]
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
