"""Stage C form, « Ajouter des coordonnées bancaires »: the seed's blocks and labels.

Used by the wizard step « Coordonnées bancaires » and by the page of the connected home. The
checks themselves live in banking/iban.py and banking/rib.py; this form puts each error on the
field the supplier must fix, keeps what was typed, and runs the RIB check last, once the IBAN
is known to be right (a RIB is compared with a valid IBAN only).
"""

import os
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import numdb

from core.forms import country_field
from structures.identifiers import IdentifierType, normalize_identifier

from .iban import bban_length, french_country_forms, split_iban, validate_bic, validate_iban_blocks
from .models import BankAccount
from .rib import check_rib_once

MSG_ACCOUNT_NAME_REQUIRED = _("Saisissez un nom pour ce compte bancaire (par exemple « Compte principal »).")
MSG_COUNTRY_CODE_REQUIRED = _("Choisissez le code pays de l'IBAN (les 2 lettres par lesquelles il commence).")
MSG_CHECK_DIGITS_REQUIRED = _("Saisissez la clé IBAN : les 2 chiffres qui suivent le code pays.")
MSG_BBAN_REQUIRED = _("Saisissez l'identification internationale : les caractères de l'IBAN qui suivent la clé.")
MSG_BIC_REQUIRED = _("Saisissez le BIC (ou code Swift) indiqué sur votre RIB.")
MSG_FILE_REQUIRED = _("Joignez votre RIB au format PDF (taille maximale par fichier : 4096 kilo-octets).")
MSG_FILE_EMPTY = _("Le fichier joint est vide : joignez votre RIB au format PDF.")
# Information, not an error of the file: shown once, next to the field, when another field is wrong.
MSG_FILE_CHOOSE_AGAIN = _(
    "Pour votre sécurité, le fichier joint n'a pas été conservé à cause de l'erreur ailleurs dans le "
    "formulaire : choisissez-le à nouveau avant de valider."
)
MSG_FACTOR_RAISON_SOCIALE = _("Saisissez la raison sociale de l'affactureur.")
MSG_FACTOR_COUNTRY = _("Choisissez le pays de l'affactureur.")
MSG_FACTOR_IDENTIFIER_TYPE = _("Choisissez le type d'identifiant de l'affactureur.")
MSG_FACTOR_IDENTIFIER = _("Saisissez l'identifiant de l'affactureur.")

IBAN_FIELDS = ("country_code", "check_digits", "bban")
FACTOR_FIELDS = ("factor_raison_sociale", "factor_country", "factor_identifier", "factor_identifier_type")

_IBAN_LIKE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+")


def iban_countries():
    """Codes of the countries that use IBAN (SWIFT registry, as python-stdnum ships it)."""
    return sorted(prefix[1] for prefix in numdb.get("iban").prefixes)


def iban_country_choices():
    # A callable, so that names follow the active language.
    choices = []
    for code in iban_countries():
        name = str(french_country_forms(code)["name"])
        choices.append((code, f"{code} — {name[:1].upper()}{name[1:]}"))
    return choices


def _no_maxlength(attrs=None):
    # No maxlength attribute on the IBAN and BIC blocks: a browser would silently cut a pasted
    # value, turning it into another (maybe valid) account number. The length is checked per
    # country, with a message that says how many characters are expected.
    return forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})


class BankAccountForm(forms.Form):
    """« Ajouter des coordonnées bancaires ».

    `cleaned_data` then holds, besides each field: "iban" (compact, upper case), "bic"
    (compact, upper case), "rib_check" (banking.rib.RibCheck) and the factor's identifier
    normalised. The file may be a fresh upload or a File opened from storage (the wizard keeps
    it between steps and validates the form again at the end).
    """

    # In the procedure's order: the « Affactureur » block comes first (block 1), optional, then
    # the type, the IBAN's blocks and the BIC, the file and its type.
    factor_fields = list(FACTOR_FIELDS)
    fieldsets = [
        (_("Affactureur"), factor_fields),
        (_("Compte bancaire"), ["account_name", "account_type"]),
        (_("Coordonnées bancaires"), ["country_code", "check_digits", "bban", "bic"]),
        (_("Pièce jointe"), ["rib_file", "attachment_type"]),
    ]

    account_name = forms.CharField(
        label=_("Nom du compte bancaire"),
        max_length=BankAccount._meta.get_field("account_name").max_length,
        help_text=_("Pour reconnaître ce compte, par exemple « Compte principal »."),
        error_messages={"required": MSG_ACCOUNT_NAME_REQUIRED},
    )
    account_type = forms.ChoiceField(
        label=_("Type"), choices=BankAccount.AccountType.choices, initial=BankAccount.AccountType.IBAN
    )
    country_code = forms.CharField(
        label=_("Code pays"),
        initial="FR",
        help_text=_("Les 2 lettres par lesquelles commence l'IBAN (FR pour la France, Monaco et l'outre-mer)."),
        # A select of the IBAN countries, but validated by banking.iban: a code posted from
        # outside the list gets the module's precise message rather than « choix invalide ».
        widget=forms.Select(choices=iban_country_choices),
        error_messages={"required": MSG_COUNTRY_CODE_REQUIRED},
    )
    check_digits = forms.CharField(
        label=_("Clé IBAN"),
        help_text=_("2 chiffres : ceux qui suivent le code pays (76 dans FR76…)."),
        widget=_no_maxlength({"inputmode": "numeric", "size": "4"}),
        error_messages={"required": MSG_CHECK_DIGITS_REQUIRED},
    )
    bban = forms.CharField(
        label=_("Identification internationale (IBAN)"),
        help_text=_(
            "Les caractères qui suivent la clé, sans séparateurs : 23 lettres ou chiffres pour la France "
            "(code banque, code guichet, numéro de compte, clé RIB). Vous pouvez aussi coller l'IBAN "
            "complet, avec ou sans espaces : il est découpé dans les trois blocs."
        ),
        widget=_no_maxlength(),
        error_messages={"required": MSG_BBAN_REQUIRED},
    )
    bic = forms.CharField(
        label=_("BIC ou Swift"),
        help_text=_("8 ou 11 lettres ou chiffres, par exemple AGRIFRPP881."),
        widget=_no_maxlength({"size": "14"}),
        error_messages={"required": MSG_BIC_REQUIRED},
    )
    rib_file = forms.FileField(
        label=_("Fichier"),
        help_text=_(
            "Votre RIB au format PDF. Le RIB téléchargé depuis votre poste de travail doit être lisible "
            "par l'administration (taille maximale par fichier : 4096 kilo-octets)."
        ),
        # The type is decided from the file's bytes; `accept` only helps the file picker.
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": MSG_FILE_REQUIRED, "empty": MSG_FILE_EMPTY, "invalid": MSG_FILE_REQUIRED},
    )
    attachment_type = forms.ChoiceField(
        label=_("Type de pièce jointe"),
        choices=BankAccount.AttachmentType.choices,
        initial=BankAccount.AttachmentType.BANK_DETAILS,
    )

    factor_raison_sociale = forms.CharField(
        label=_("Raison sociale"),
        required=False,
        max_length=BankAccount._meta.get_field("factor_raison_sociale").max_length,
        help_text=_("À remplir seulement si vos factures sont payées à une société d'affacturage."),
    )
    factor_country = country_field(blank=True, label=_("Pays"), required=False)
    factor_identifier = forms.CharField(
        label=_("Identifiant"), required=False, max_length=100, help_text=_("SIRET pour un affactureur français.")
    )
    factor_identifier_type = forms.ChoiceField(
        label=_("Type identifiant"),
        required=False,
        choices=[("", _("Sélectionner une option")), *IdentifierType.choices],
    )

    def __init__(self, *args, known_rib_check=None, **kwargs):
        super().__init__(*args, **kwargs)
        # banking.rib.KnownRibCheck: the RIB's check already made for this file and IBAN (the
        # wizard's end); `rib_check_done` is the one made or reused by clean().
        self.known_rib_check = known_rib_check
        self.rib_check_done = None
        # Information to show next to a field, by name (not errors: the form may be valid).
        self.notices = {}
        if self.is_bound:
            self._split_pasted_iban()

    def _split_pasted_iban(self):
        """A whole IBAN pasted into « Identification internationale » goes into the three blocks.

        Done on the data, not only on cleaned_data, so that the blocks are shown filled in when
        the page comes back with an error elsewhere.
        """
        name = self.add_prefix("bban")
        pasted = self.data.get(name)
        if not pasted:
            return
        country, key, rest = split_iban(pasted)
        selected = (self.data.get(self.add_prefix("country_code")) or "").strip().upper()
        if not _IBAN_LIKE.fullmatch(country + key + rest) or bban_length(country) is None:
            return
        if bban_length(selected) == len(country + key + rest):
            return  # exactly a BBAN of the selected country: it was typed where it belongs
        # Split even when a character is missing or extra: the length error then counts the
        # characters of the block, for the pasted IBAN's country.
        data = self.data.copy()  # a QueryDict is immutable
        data[self.add_prefix("country_code")] = country
        data[self.add_prefix("check_digits")] = key
        data[name] = rest
        self.data = data

    def clean_rib_file(self):
        rib_file = self.cleaned_data["rib_file"]
        # Only the last part of the name, printable: shown to staff and sent back as the
        # download's name.
        name = os.path.basename((rib_file.name or "").replace("\\", "/"))
        self.cleaned_data["rib_original_name"] = "".join(c for c in name if c.isprintable())[-255:] or "rib.pdf"
        return rib_file

    def clean(self):
        cleaned = super().clean()
        iban = self._clean_iban(cleaned)
        bic = self._clean_bic(cleaned, iban)
        self._clean_factor(cleaned)
        # Last, and only on a valid IBAN: the RIB's text is compared with it.
        if iban and bic and "rib_file" not in self._errors and cleaned.get("rib_file"):
            try:
                self.rib_check_done = check_rib_once(cleaned["rib_file"], iban, self.known_rib_check)
                cleaned["rib_check"] = self.rib_check_done.check
            except ValidationError as error:
                self.add_error("rib_file", error)
        self._ask_for_the_file_again()
        return cleaned

    def _clean_iban(self, cleaned):
        if any(name in self._errors for name in IBAN_FIELDS):
            return None
        try:
            iban = validate_iban_blocks(*(cleaned[name] for name in IBAN_FIELDS))
        except ValidationError as error:
            self.add_error(None, error)  # keyed by block: each message lands on its field
            return None
        cleaned["iban"] = iban
        # The blocks as stored (upper case, no spaces), for the wizard's summary.
        cleaned["country_code"], cleaned["check_digits"], cleaned["bban"] = iban[:2], iban[2:4], iban[4:]
        return iban

    def _clean_bic(self, cleaned, iban):
        if "bic" in self._errors:
            return None
        # The country check needs the IBAN's country; without a valid one, the format alone.
        country = iban[:2] if iban else None
        try:
            bic = validate_bic(cleaned["bic"], country)
        except ValidationError as error:
            self.add_error("bic", error)
            return None
        cleaned["bic"] = bic
        return bic

    def _clean_factor(self, cleaned):
        given = {name: cleaned.get(name) for name in FACTOR_FIELDS}
        if not any(given.values()):
            return
        for name, message in (
            ("factor_raison_sociale", MSG_FACTOR_RAISON_SOCIALE),
            ("factor_country", MSG_FACTOR_COUNTRY),
            ("factor_identifier_type", MSG_FACTOR_IDENTIFIER_TYPE),
            ("factor_identifier", MSG_FACTOR_IDENTIFIER),
        ):
            if not given[name] and name not in self._errors:
                self.add_error(name, ValidationError(message, code="required"))
        if given["factor_identifier_type"] and given["factor_identifier"]:
            try:
                cleaned["factor_identifier"] = normalize_identifier(
                    given["factor_identifier_type"], given["factor_identifier"]
                )
            except ValidationError as error:
                self.add_error("factor_identifier", error)

    def _ask_for_the_file_again(self):
        # Browsers never refill a file input: when the page comes back with an error elsewhere,
        # the supplier must be told that the file they chose is gone.
        if self._errors and "rib_file" not in self._errors and self.cleaned_data.get("rib_file"):
            self.notices["rib_file"] = MSG_FILE_CHOOSE_AGAIN

    @property
    def factor_block_open(self):
        """The optional « Affactureur » block is shown unfolded once something is typed in it."""
        return any(self[name].value() or self[name].errors for name in FACTOR_FIELDS)


class ManagedStructureForm(forms.Form):
    """Which structure the bank details are for, when the user is main manager of several."""

    fieldsets = [(_("Structure"), ["structure"])]

    structure = forms.ModelChoiceField(
        label=_("Structure"),
        queryset=None,
        empty_label=None,
        error_messages={"invalid_choice": _("Choisissez une des structures dont vous êtes gestionnaire principal.")},
    )

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
