import re

import phonenumbers
from captcha.fields import CaptchaField
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from core.forms import country_field

from .models import SupplierProfile

FRENCH_POSTCODE = re.compile(r"^[0-9]{5}$")

MSG_EMAILS_DIFFER = _("Les deux adresses électroniques de connexion ne sont pas identiques.")
MSG_FRENCH_POSTCODE = _("Un code postal français comporte 5 chiffres (par exemple 38000).")
MSG_PHONE = _("Ce numéro n'est pas un numéro de téléphone valide pour le pays choisi ({country}).")
MSG_FAX = _("Ce numéro n'est pas un numéro de fax valide pour le pays choisi ({country}).")
MSG_CAPTCHA = _(
    "Les caractères saisis ne correspondent pas à l'image, ou l'image a expiré. "
    "Recopiez les 5 caractères de la nouvelle image."
)
MSG_TERMS = _("Vous devez accepter les conditions générales d'utilisation pour créer votre compte.")


def _profile_field(name, **overrides):
    """A form field built from the profile model, so lengths stay in one place."""
    field = SupplierProfile._meta.get_field(name).formfield(**overrides)
    return field


class AccountForm(forms.Form):
    """Stage A, « Créer votre compte »: the seed's blocks, without any password.

    The password is chosen after the e-mailed link proves the address (docs/architecture.md).
    """

    fieldsets = [
        (_("Informations générales"), ["email", "email_confirmation", "contact_email", "last_name", "first_name"]),
        (
            _("Adresse postale"),
            [
                "address",
                "address_complement_1",
                "address_complement_2",
                "postcode",
                "city",
                "country",
                "phone",
                "fax",
            ],
        ),
        (_("Captcha"), ["captcha"]),
        (_("Conditions générales d'utilisation"), ["accept_terms"]),
    ]

    email = forms.EmailField(
        label=_("Adresse électronique de connexion"),
        max_length=254,
        help_text=_("Elle sert d'identifiant de connexion. Exemple : nom@entreprise.fr"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_confirmation = forms.EmailField(
        label=_("Confirmation de l'adresse électronique de connexion"),
        max_length=254,
        help_text=_("Saisissez-la une seconde fois."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_email = forms.EmailField(
        label=_("Adresse électronique de contact"),
        max_length=254,
        required=False,
        help_text=_(
            "À renseigner uniquement si elle diffère de l'adresse de connexion : elle recevra "
            "les notifications (une adresse générique, par exemple)."
        ),
    )
    last_name = forms.CharField(
        label=_("Nom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    first_name = forms.CharField(
        label=_("Prénom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    address = _profile_field(
        "address", label=_("Adresse"), widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    address_complement_1 = _profile_field(
        "address_complement_1",
        label=_("Complément d'adresse 1"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    address_complement_2 = _profile_field(
        "address_complement_2",
        label=_("Complément d'adresse 2"),
        widget=forms.TextInput(attrs={"autocomplete": "address-line3"}),
    )
    postcode = _profile_field(
        "postcode",
        label=_("Code postal"),
        help_text=_("5 chiffres pour la France."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = _profile_field("city", label=_("Ville"), widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    country = country_field(label=_("Pays"), initial="FR", widget=forms.Select(attrs={"autocomplete": "country"}))
    phone = forms.CharField(
        label=_("Téléphone"),
        max_length=30,
        required=False,
        help_text=_("Exemple : 04 76 76 36 36"),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    fax = forms.CharField(label=_("Fax"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"}))
    captcha = CaptchaField(
        label=_("Recopiez les 5 caractères affichés dans l'image"),
        error_messages={"invalid": MSG_CAPTCHA},
    )
    accept_terms = forms.BooleanField(
        label=_("J'ai lu et j'accepte les conditions générales d'utilisation"),
        error_messages={"required": MSG_TERMS},
    )

    def __init__(self, *args, with_captcha=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_captcha:
            # Data stored once it passed a captcha, validated again (a later step reads it, the
            # wizard's end): that captcha was consumed then (onboarding/stage.py).
            del self.fields["captcha"]

    def clean_email(self):
        # Whether an account has this address already is not said here: the wizard goes on,
        # and its end e-mails the account's owner instead of creating one (SECURITY.md).
        return get_user_model().objects.normalize_email(self.cleaned_data["email"])

    def clean_email_confirmation(self):
        return get_user_model().objects.normalize_email(self.cleaned_data["email_confirmation"])

    def clean_contact_email(self):
        return get_user_model().objects.normalize_email(self.cleaned_data["contact_email"])

    def clean(self):
        cleaned = super().clean()
        email, confirmation = cleaned.get("email"), cleaned.get("email_confirmation")
        if email and confirmation and email != confirmation:
            self.add_error("email_confirmation", MSG_EMAILS_DIFFER)
        if cleaned.get("contact_email") and cleaned.get("contact_email") == email:
            # Same as the login: nothing different to store.
            cleaned["contact_email"] = ""

        country = cleaned.get("country")
        postcode = (cleaned.get("postcode") or "").strip()
        if country == "FR" and postcode and not FRENCH_POSTCODE.match(postcode):
            self.add_error("postcode", MSG_FRENCH_POSTCODE)

        for name, message in (("phone", MSG_PHONE), ("fax", MSG_FAX)):
            raw = (cleaned.get(name) or "").strip()
            if not raw or not country:
                continue
            e164 = to_e164(raw, country)
            if e164 is None:
                self.add_error(name, message.format(country=countries.name(country)))
            else:
                cleaned[name] = e164
        return cleaned


def to_e164(raw, region):
    """The number in E.164 when it is a valid number of the region, else None."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, region):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# « Mon compte »


MSG_SAME_EMAIL = _("C'est déjà votre adresse électronique de connexion.")
MSG_EMAIL_TAKEN = _("Un compte existe déjà avec cette adresse électronique : choisissez-en une autre.")


class ConnectionEmailForm(forms.Form):
    """« Changer d'adresse de connexion »: the new address, typed twice; a link proves it."""

    email = forms.EmailField(
        label=_("Nouvelle adresse électronique de connexion"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    email_confirmation = forms.EmailField(
        label=_("Confirmation de la nouvelle adresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        from .services import email_taken

        email = get_user_model().objects.normalize_email(self.cleaned_data["email"]).lower()
        if email == self.user.email.lower():
            raise forms.ValidationError(MSG_SAME_EMAIL)
        if email_taken(email, except_user=self.user):
            raise forms.ValidationError(MSG_EMAIL_TAKEN)
        return email

    def clean(self):
        cleaned = super().clean()
        email, confirmation = cleaned.get("email"), cleaned.get("email_confirmation")
        if email and confirmation and email != confirmation.strip().lower():
            self.add_error("email_confirmation", MSG_EMAILS_DIFFER)
        return cleaned


class ContactEmailForm(forms.ModelForm):
    """« Changer d'adresse de contact »: where notifications go (empty: the connection address)."""

    class Meta:
        model = SupplierProfile
        fields = ["contact_email"]
        widgets = {"contact_email": forms.EmailInput(attrs={"autocomplete": "email"})}

    def clean_contact_email(self):
        return self.cleaned_data["contact_email"].strip().lower()
