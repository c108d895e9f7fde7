from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from .models import SupplierProfile, User

admin.site.site_header = _("Ville de Grenoble — Fournisseurs")
admin.site.site_title = _("Fournisseurs de la Ville de Grenoble")
admin.site.index_title = _("Suivi des inscriptions des fournisseurs")


class SupplierProfileInline(admin.StackedInline):
    model = SupplierProfile
    can_delete = False
    extra = 0


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "last_name", "first_name"]


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
    ordering = ["-date_joined"]
    list_display = ["email", "last_name", "first_name", "is_active", "is_staff", "second_factor", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["email", "last_name", "first_name"]
    readonly_fields = ["date_joined", "activated_at", "last_login", "second_factor"]
    actions = ["reset_second_factor"]
    inlines = [SupplierProfileInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identité"), {"fields": ["last_name", "first_name"]}),
        (
            _("Droits"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["date_joined", "activated_at", "last_login"]}),
        (_("Double authentification"), {"fields": ["second_factor"]}),
    ]

    @admin.action(description=_("Réinitialiser la double authentification (retour au code par courriel)"))
    def reset_second_factor(self, request, queryset):
        """For someone who lost their app and their recovery codes, once their identity is
        checked. Recorded in each account's history (who, when); the user is told by e-mail."""
        from twofactor import services as twofactor_services

        done = 0
        for user in queryset.filter(second_factor=User.SECOND_FACTOR_TOTP):
            twofactor_services.reset_second_factor(user, by=request.user)
            self.log_change(request, user, _("Double authentification réinitialisée : retour au code par courriel."))
            done += 1
        if done:
            self.message_user(
                request,
                _(
                    "Double authentification réinitialisée pour %(count)s compte(s) : le code leur sera envoyé par "
                    "courriel."
                )
                % {"count": done},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("Aucun des comptes choisis n'utilisait d'application d'authentification : rien n'a été changé."),
                messages.WARNING,
            )

    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "last_name", "first_name", "usable_password", "password1", "password2"],
            },
        ),
    ]
