"""The project's addresses: each app's own, under French paths (see the README's « Adresses »)."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import bench

urlpatterns = [
    path("", include("onboarding.urls")),
    path("", include("twofactor.urls")),
    path("structures/", include("structures.urls")),
    path("coordonnees-bancaires/", include("banking.urls")),
    path("mandats/", include("mandates.urls")),
    path("factures/", include("invoices.urls")),
    path("langue/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    path("admin/", admin.site.urls),
]
# The benchmark's floor (config/bench.py): only under benchmarks/settings.py, never in production.
urlpatterns += (
    [path("banc/plancher/", bench.floor, name="benchmark_floor")] if getattr(settings, "BENCHMARK_FLOOR", False) else []
)
