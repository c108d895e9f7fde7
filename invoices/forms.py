"""The forms of « Déposer une facture »: the file, the city's data, the entered invoice.

Every check that the city's processing would otherwise fail later (Chorus Pro rejections for a
missing engagement number or service code, totals that do not add up, an unreadable scan) is
made here, with a message that says what to fix; the database constraints catch the rest.
"""

import os
import re
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from . import facturx, services
from .facturx import Difference
from .files import check_invoice_file, check_supporting_document
from .models import Service

MSG_FILE_REQUIRED = _("Choisissez le fichier de la facture : un PDF ou un Factur-X de 10 Mo au plus.")
MSG_FILE_EMPTY = _("Le fichier choisi est vide : choisissez le PDF de la facture.")
MSG_NUMBER_REQUIRED = _("Saisissez le numéro de la facture.")
MSG_NUMBER_TOO_LONG = _("Le numéro de facture ne doit pas dépasser 20 caractères.")
MSG_DATE_REQUIRED = _("Saisissez la date d'émission de la facture.")
MSG_DATE_INVALID = _("Saisissez une date valide, au format jj/mm/aaaa.")
MSG_DATE_FUTURE = _("La date d'émission ne peut pas être dans le futur.")
MSG_DELIVERY_REQUIRED = _("Saisissez la date de la livraison ou de la fin de la prestation.")
MSG_DELIVERY_FUTURE = _("La date de livraison ou d'exécution ne peut pas être dans le futur.")
MSG_AMOUNT_REQUIRED = _("Saisissez le montant en euros.")
MSG_AMOUNT_FORMAT = _("Saisissez un montant en euros, avec 2 décimales au plus (par exemple 1234,56).")
MSG_AMOUNT_TOO_LARGE = _("Ce montant est trop élevé : vérifiez-le.")
MSG_EXCL_TAX_NOT_POSITIVE = _("Le montant HT doit être supérieur à zéro.")
MSG_VAT_NEGATIVE = _("Le montant de TVA ne peut pas être négatif.")
MSG_INCL_TAX_NOT_POSITIVE = _("Le montant TTC doit être supérieur à zéro.")
MSG_TOTALS = _(
    "Les montants ne concordent pas : %(excl)s € HT + %(vat)s € de TVA font %(sum)s €, et non %(incl)s € TTC."
)
MSG_VAT_RATE = _("La TVA ne correspond pas au taux choisi : %(rate)s %% de %(excl)s € font %(expected)s €.")
MSG_SERVICE_REQUIRED = _("Choisissez le service de la Ville qui a passé la commande.")
MSG_SERVICE_UNKNOWN = _(
    "Ce service est inconnu de la Ville : choisissez dans la liste le service qui a passé la commande."
)
MSG_ENGAGEMENT_REQUIRED = _(
    "Le service « %(service)s » exige un numéro d'engagement : saisissez celui qui figure sur le bon de commande "
    "de la Ville."
)
MSG_DESCRIPTION_REQUIRED = _("Décrivez ce qui est facturé (par exemple « Pose de 4 fenêtres, école Jean Jaurès »).")
MSG_DIFFERENCES = _(
    "Ce que vous avez saisi diffère du XML Factur-X du fichier : corrigez la saisie, ou déposez le fichier corrigé."
)
MSG_DOCUMENTS_REQUIRED = _("Joignez les pièces demandées, au format PDF.")
MSG_TOO_MANY_DOCUMENTS = _("Joignez 5 fichiers au plus à la fois.")

MAX_AMOUNT = Decimal("9999999999.99")
VAT_RATES = [
    ("20", _("20 %")),
    ("10", _("10 %")),
    ("5.5", _("5,5 %")),
    ("2.1", _("2,1 %")),
    ("0", _("0 % — TVA non applicable (art. 293 B du CGI)")),
]
CENT = Decimal("0.01")


def one_line(text):
    """Printable characters on one line: what goes into the XML, the PDF and the CSV export."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())


def euros(amount):
    """1234.5 → « 1234,50 », as the amount fields read it (their initial values)."""
    return f"{amount:.2f}".replace(".", ",")


def amount_text(amount):
    """An amount in a sentence, in the active language's format (« 1234,50 », « 1234.50 »)."""
    return formats.number_format(amount, 2, use_l10n=True)


def french_date(value):
    return (
        timezone.localtime(value).strftime("%d/%m/%Y à %H:%M") if hasattr(value, "hour") else value.strftime("%d/%m/%Y")
    )


def original_name(uploaded_file, default):
    # Only the last part of the name, printable: shown to staff and sent back as the download's name.
    name = os.path.basename((uploaded_file.name or "").replace("\\", "/"))
    return "".join(c for c in name if c.isprintable())[-255:] or default


class AmountField(forms.CharField):
    """An amount in euros as people type it: « 1 234,56 », « 1234.56 € »; a Decimal."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"required": MSG_AMOUNT_REQUIRED})
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        compact = re.sub(r"[\s€]", "", text).replace(",", ".")
        if not re.fullmatch(r"-?\d+(\.\d{1,2})?", compact):
            raise ValidationError(MSG_AMOUNT_FORMAT, code="amount_format")
        amount = Decimal(compact)
        if abs(amount) > MAX_AMOUNT:
            raise ValidationError(MSG_AMOUNT_TOO_LARGE, code="amount_too_large")
        return amount.quantize(CENT)


def _date_field(label, required_message):
    # A text field (jj/mm/aaaa), not the browser's date picker: its segments get in the way of
    # the keyboard and of screen readers, and a date copied from the invoice pastes as it is.
    return forms.DateField(
        label=label,
        help_text=_("Au format jj/mm/aaaa, par exemple 20/11/2026."),
        input_formats=["%d/%m/%Y", "%d/%m/%y", "%Y-%m-%d"],
        widget=forms.DateInput(attrs={"inputmode": "numeric", "autocomplete": "off"}, format="%d/%m/%Y"),
        error_messages={"required": required_message, "invalid": MSG_DATE_INVALID},
    )


class InvoiceDataForm(forms.Form):
    """The data the city needs on every invoice, deposited or entered."""

    number = forms.CharField(
        label=_("Numéro de facture"),
        help_text=_("20 caractères au plus, tel qu'il figure sur la facture."),
        error_messages={"required": MSG_NUMBER_REQUIRED},
    )
    issue_date = _date_field(_("Date d'émission"), MSG_DATE_REQUIRED)
    amount_excl_tax = AmountField(label=_("Montant HT (€)"))
    vat_amount = AmountField(label=_("Montant de la TVA (€)"), help_text=_("0 si la TVA n'est pas applicable."))
    amount_incl_tax = AmountField(label=_("Montant TTC (€)"))
    service = forms.ModelChoiceField(
        label=_("Service de la Ville (code service)"),
        queryset=Service.objects.filter(is_active=True),
        help_text=_("Le service qui a passé la commande : son code figure sur le bon de commande."),
        error_messages={"required": MSG_SERVICE_REQUIRED, "invalid_choice": MSG_SERVICE_UNKNOWN},
    )
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement"),
        required=False,
        max_length=50,
        help_text=_("Le numéro du bon de commande de la Ville ; obligatoire pour certains services."),
    )
    bank_account = forms.ModelChoiceField(
        label=_("Coordonnées bancaires"),
        queryset=None,
        empty_label=None,
        help_text=_("Les coordonnées bancaires validées de la structure, sur lesquelles la Ville paiera."),
        error_messages={"required": services.MSG_NO_BANK_ACCOUNT, "invalid_choice": services.MSG_NO_BANK_ACCOUNT},
    )

    def __init__(self, *args, structure, bank_accounts, facturx_summary=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.structure = structure
        self.facturx = facturx_summary
        self.differences = []
        self.fields["bank_account"].queryset = bank_accounts
        self.fields["bank_account"].label_from_instance = lambda account: (
            f"{account.account_name} — {account.iban_grouped}"
        )
        self.fields["service"].label_from_instance = lambda service: f"{service.name} ({service.code})"

    def clean_number(self):
        number = one_line(self.cleaned_data["number"])
        if not number:
            raise ValidationError(MSG_NUMBER_REQUIRED, code="required")
        if len(number) > 20:
            raise ValidationError(MSG_NUMBER_TOO_LONG, code="max_length")
        try:
            services.check_not_deposited(self.structure, number=number)
        except services.InvoiceError as error:
            raise ValidationError(error.message, code="number_used") from None
        return number

    def clean_issue_date(self):
        value = self.cleaned_data["issue_date"]
        if value > timezone.localdate():
            raise ValidationError(MSG_DATE_FUTURE, code="date_future")
        return value

    def clean_amount_excl_tax(self):
        return _at_least(self.cleaned_data["amount_excl_tax"], 0, MSG_EXCL_TAX_NOT_POSITIVE, strictly=True)

    def clean_vat_amount(self):
        return _at_least(self.cleaned_data["vat_amount"], 0, MSG_VAT_NEGATIVE, strictly=False)

    def clean_amount_incl_tax(self):
        return _at_least(self.cleaned_data["amount_incl_tax"], 0, MSG_INCL_TAX_NOT_POSITIVE, strictly=True)

    def clean_engagement_number(self):
        return one_line(self.cleaned_data["engagement_number"])

    def clean(self):
        cleaned = super().clean()
        excl, vat, incl = (cleaned.get(name) for name in ("amount_excl_tax", "vat_amount", "amount_incl_tax"))
        if None not in (excl, vat, incl) and excl + vat != incl:
            self.add_error(
                "amount_incl_tax",
                ValidationError(
                    MSG_TOTALS,
                    code="totals",
                    params={
                        "excl": amount_text(excl),
                        "vat": amount_text(vat),
                        "sum": amount_text(excl + vat),
                        "incl": amount_text(incl),
                    },
                ),
            )
        service = cleaned.get("service")
        if (
            service
            and service.engagement_required
            and not cleaned.get("engagement_number")
            and "engagement_number" not in self._errors
        ):
            self.add_error(
                "engagement_number",
                ValidationError(MSG_ENGAGEMENT_REQUIRED, code="engagement_required", params={"service": service.name}),
            )
        if self.facturx is not None and not self._errors:
            self.differences = differences_with(self.facturx, cleaned)
            if self.differences:
                self.add_error(None, ValidationError(MSG_DIFFERENCES, code="facturx_differences"))
        return cleaned


def _at_least(amount, floor, message, *, strictly):
    if amount is not None and (amount <= floor if strictly else amount < floor):
        raise ValidationError(message, code="amount_range")
    return amount


def differences_with(summary, cleaned):
    """What the supplier typed that the file's XML says otherwise (the values the XML gives)."""
    found = []
    for label, in_file, typed, shown in (
        (_("Numéro de facture"), summary.number, cleaned["number"], str),
        (_("Date d'émission"), summary.issue_date, cleaned["issue_date"], french_date),
        (_("Montant HT"), summary.amount_excl_tax, cleaned["amount_excl_tax"], lambda a: f"{amount_text(a)} €"),
        (_("Montant de la TVA"), summary.vat_amount, cleaned["vat_amount"], lambda a: f"{amount_text(a)} €"),
        (_("Montant TTC"), summary.amount_incl_tax, cleaned["amount_incl_tax"], lambda a: f"{amount_text(a)} €"),
    ):
        if in_file not in (None, "") and in_file != typed:
            found.append(Difference(label, shown(in_file), shown(typed)))
    return found


def initial_from(summary, services, bank_accounts):
    """The data form pre-filled from a Factur-X XML."""
    initial = {
        "number": summary.number[:20],
        "issue_date": summary.issue_date,
        "engagement_number": summary.engagement_number[:50],
    }
    for name in ("amount_excl_tax", "vat_amount", "amount_incl_tax"):
        value = getattr(summary, name)
        if value is not None:
            initial[name] = euros(value)
    code = summary.buyer_reference.strip()
    service = next((s for s in services if s.code == code), None) if code else None
    if service is not None:
        initial["service"] = service.pk
    return initial


class InvoiceEntryForm(InvoiceDataForm):
    """« Saisir »: the app issues the invoice itself, as a Factur-X PDF (mandate)."""

    delivery_date = _date_field(_("Date de la livraison ou de la fin de la prestation"), MSG_DELIVERY_REQUIRED)
    description = forms.CharField(
        label=_("Désignation"),
        max_length=300,
        help_text=_("Ce qui est facturé, tel que le lira le service de la Ville."),
        error_messages={"required": MSG_DESCRIPTION_REQUIRED},
    )
    vat_rate = forms.TypedChoiceField(label=_("Taux de TVA"), choices=VAT_RATES, coerce=Decimal, initial="20")

    field_order = [
        "number",
        "issue_date",
        "delivery_date",
        "service",
        "engagement_number",
        "description",
        "amount_excl_tax",
        "vat_rate",
        "vat_amount",
        "amount_incl_tax",
        "bank_account",
    ]

    def clean_delivery_date(self):
        value = self.cleaned_data["delivery_date"]
        if value > timezone.localdate():
            raise ValidationError(MSG_DELIVERY_FUTURE, code="date_future")
        return value

    def clean_description(self):
        text = one_line(self.cleaned_data["description"])
        if not text:
            raise ValidationError(MSG_DESCRIPTION_REQUIRED, code="required")
        return text

    def clean(self):
        cleaned = super().clean()
        excl, vat, rate = (cleaned.get(name) for name in ("amount_excl_tax", "vat_amount", "vat_rate"))
        if None not in (excl, vat, rate) and "vat_amount" not in self._errors:
            expected = (excl * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            if vat != expected:
                self.add_error(
                    "vat_amount",
                    ValidationError(
                        MSG_VAT_RATE,
                        code="vat_rate",
                        params={
                            "rate": f"{rate:g}".replace(".", ","),
                            "excl": amount_text(excl),
                            "expected": amount_text(expected),
                        },
                    ),
                )
        return cleaned


class InvoiceFileForm(forms.Form):
    """« Déposer »: the invoice's file, checked from its bytes; a Factur-X's XML with it."""

    file = forms.FileField(
        label=_("Fichier de la facture"),
        help_text=_("Un PDF produit par votre logiciel de facturation (pas un scan), ou un Factur-X ; 10 Mo au plus."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": MSG_FILE_REQUIRED, "empty": MSG_FILE_EMPTY, "invalid": MSG_FILE_REQUIRED},
    )

    def __init__(self, *args, structure, city_siret, **kwargs):
        super().__init__(*args, **kwargs)
        self.structure = structure
        self.city_siret = city_siret
        self.checked = None
        self.differences = []

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        try:
            checked = check_invoice_file(uploaded)
            if checked.facturx is not None:
                facturx.check_parties(checked.facturx, self.structure, self.city_siret)
        except facturx.FacturxRefused as refusal:
            self.differences = refusal.differences
            raise
        try:
            services.check_not_deposited(self.structure, sha256=checked.sha256)
        except services.InvoiceError as error:
            raise ValidationError(error.message, code="same_file") from None
        self.checked = checked
        self.cleaned_data["original_name"] = original_name(uploaded, "facture.pdf")
        return uploaded


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,.pdf"}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, (list, tuple)) else [data]) if item]
        single = super().clean  # (a comprehension cannot call super() itself)
        if not items:
            return [single(None, initial)]  # raises « required »
        return [single(item, initial) for item in items]


class SupportingDocumentsForm(forms.Form):
    """The documents finance staff asked for, which make a suspended invoice « complétée »."""

    files = MultipleFileField(
        label=_("Pièces demandées"),
        help_text=_("Un ou plusieurs PDF, 10 Mo au plus chacun."),
        error_messages={"required": MSG_DOCUMENTS_REQUIRED, "empty": MSG_FILE_EMPTY},
    )
    comment = forms.CharField(
        label=_("Message aux services financiers"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > 5:
            raise ValidationError(MSG_TOO_MANY_DOCUMENTS, code="too_many")
        checked = []
        for uploaded in files:
            sha256 = check_supporting_document(uploaded)
            checked.append((uploaded, original_name(uploaded, "piece.pdf"), sha256))
        self.cleaned_data["checked_files"] = checked
        return files


class StructureChoiceForm(forms.Form):
    """Which structure the invoice is for, when several of the user's are open to deposit."""

    structure = forms.ChoiceField(label=_("Structure"))

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].choices = [(s.pk, s.raison_sociale) for s in structures]
