from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import views

app_name = "twofactor"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("connexion/code/", views.login_code, name="login_code"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(success_url=reverse_lazy("twofactor:password_reset_complete")),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("compte/", views.account, name="account"),
    path("compte/verification/", views.step_up, name="step_up"),
    path("compte/application/", views.authenticator, name="authenticator"),
    path("compte/application/retirer/", views.remove_authenticator, name="remove_authenticator"),
    path("compte/codes-de-secours/", views.recovery_codes, name="recovery_codes"),
]
