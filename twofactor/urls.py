from django.urls import path

from onboarding import views as account_views

from . import views

urlpatterns = [
    path("", views.account, name="twofactor_account"),
    path("verification/", views.step_up, name="twofactor_step_up"),
    path("application/", views.authenticator, name="twofactor_authenticator"),
    path("application/retirer/", views.remove_authenticator, name="twofactor_remove_authenticator"),
    path("codes-de-secours/", views.recovery_codes, name="twofactor_recovery_codes"),
    path("adresse-de-connexion/", account_views.change_connection_email, name="change_connection_email"),
    path(
        "adresse-de-connexion/confirmer/<str:token>/",
        account_views.confirm_email_change,
        name="confirm_email_change",
    ),
    path("adresse-de-contact/", account_views.change_contact_email, name="change_contact_email"),
]
