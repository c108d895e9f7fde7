from django.urls import path, re_path

from banking.rib import MAX_RIB_SIZE
from core.uploads import upload_limit

from . import views
from .wizard import OnboardingWizard

app_name = "onboarding"

# One file in the whole wizard: the bank details step's RIB.
wizard = upload_limit(MAX_RIB_SIZE)(OnboardingWizard.as_view(url_name="onboarding:wizard_step", done_step_name="fin"))

urlpatterns = [
    path("", views.landing, name="landing"),
    path("conditions-generales/", views.terms, name="terms"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("inscription/courriel-envoye/", views.registration_sent, name="registration_sent"),
    re_path(r"^inscription/(?P<step>[a-z-]+)/$", wizard, name="wizard_step"),
    path("inscription/", wizard, name="wizard"),
    path("activation/nouveau-lien/", views.resend_activation, name="resend_activation"),
    path("activation/<str:token>/", views.activate, name="activate"),
    # The billing mandate's link, for an account without a password yet (mandates/signing.py).
    path("activation/mandat/<str:token>/", views.mandate_password, name="mandate_password"),
    path("accueil/", views.home, name="home"),
    # « Mon compte » (twofactor/urls.py): the addresses are the account's, stage A.
    path("compte/adresse-de-connexion/", views.change_connection_email, name="change_connection_email"),
    path(
        "compte/adresse-de-connexion/confirmer/<str:token>/",
        views.confirm_email_change,
        name="confirm_email_change",
    ),
    path("compte/adresse-de-contact/", views.change_contact_email, name="change_contact_email"),
]
