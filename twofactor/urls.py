from django.urls import path

from . import views

urlpatterns = [
    path("", views.account, name="twofactor_account"),
    path("verification/", views.step_up, name="twofactor_step_up"),
    path("application/", views.authenticator, name="twofactor_authenticator"),
    path("application/retirer/", views.remove_authenticator, name="twofactor_remove_authenticator"),
    path("codes-de-secours/", views.recovery_codes, name="twofactor_recovery_codes"),
]
