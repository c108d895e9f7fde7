from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services

MSG_CODE_REQUIRED = _("Saisissez le code à 6 chiffres.")


def code_help(user):
    if services.uses_authenticator(user):
        return gettext(
            "Les 6 chiffres affichés par votre application d'authentification. Vous n'y avez plus accès ? "
            "Saisissez l'un de vos codes de secours à la place."
        )
    return gettext("Les 6 chiffres du code reçu par courriel, valable %(minutes)s minutes.") % {
        "minutes": services.code_validity() // 60
    }


def code_field(label):
    return forms.CharField(
        label=label,
        max_length=20,
        error_messages={"required": MSG_CODE_REQUIRED},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "class": "input--code",
            }
        ),
    )


class CodeForm(forms.Form):
    """The second factor: 6 digits, or a recovery code (checked by services.check_code)."""

    code = code_field(_("Code de vérification"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = code_help(user)
        if user.second_factor == user.SECOND_FACTOR_EMAIL:
            # Digits only: a phone shows its number pad. (Recovery codes have letters.)
            self.fields["code"].widget.attrs["inputmode"] = "numeric"


class AuthenticatorForm(forms.Form):
    """The first code an app shows, to prove it was set up with the right key."""

    code = code_field(_("Code à 6 chiffres affiché par l'application"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["inputmode"] = "numeric"


class LoginForm(AuthenticationForm):
    """Django's login form; the e-mail is not case-sensitive here, so the message must not say it is."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Adresse électronique de connexion ou mot de passe incorrect. "
            "Attention : le mot de passe distingue les majuscules des minuscules."
        ),
    }


class AdminLoginForm(LoginForm):
    """The admin's password step: staff only. Any other account gets the very message of a wrong
    password, so that the admin's page never tells that a supplier's password is right."""

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )
