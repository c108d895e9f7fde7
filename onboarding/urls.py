from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from twofactor import views as twofactor_views

from . import bench, views
from .wizard import OnboardingWizard

wizard = OnboardingWizard.as_view(url_name="onboarding_step", done_step_name="fin")

urlpatterns = [
    path("", views.landing, name="landing"),
    path("conditions-generales/", views.terms, name="terms"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("inscription/courriel-envoye/", views.registration_sent, name="registration_sent"),
    re_path(r"^inscription/(?P<step>[a-z-]+)/$", wizard, name="onboarding_step"),
    path("inscription/", wizard, name="onboarding"),
    path("activation/nouveau-lien/", views.resend_activation, name="resend_activation"),
    path("activation/<str:token>/", views.activate, name="activate"),
    path("accueil/", views.home, name="home"),
    path("coordonnees-bancaires/", include("banking.urls")),
    path("mandats/", include("mandates.urls")),
    path("factures/", include("invoices.urls")),
    path("connexion/", twofactor_views.LoginView.as_view(), name="login"),
    path("connexion/code/", twofactor_views.login_code, name="login_code"),
    path("compte/", include("twofactor.urls")),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path("mot-de-passe/oubli/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/modifie/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("structures/", include("structures.urls")),
    path("langue/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]
# The benchmark's floor (onboarding/bench.py): only under benchmarks/settings.py, never in production.
urlpatterns += (
    [path("banc/plancher/", bench.floor, name="benchmark_floor")] if getattr(settings, "BENCHMARK_FLOOR", False) else []
)
