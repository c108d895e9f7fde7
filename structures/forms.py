import re
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import country_field

from . import sirene
from .identifiers import IdentifierType, normalize_identifier
from .models import AttachmentRequest, Membership, Structure
from .services import (
    MSG_ALREADY_MEMBER,
    MSG_ALREADY_REQUESTED,
    MSG_STRUCTURE_INACTIVE,
    existing_structure,
    search,
)

SEARCH_CRITERIA = ("identifier_type", "identifier", "raison_sociale", "postcode", "city")

MSG_SEARCH_CRITERIA = _("Saisissez un identifiant, ou une raison sociale, un code postal ou une ville.")
MSG_CHOOSE = _(
    "Recherchez votre structure, puis choisissez-la dans les résultats ou cliquez sur « + Saisir une nouvelle "
    "structure »."
)
MSG_UNKNOWN_CHOICE = _("Cette structure n'existe pas ou plus : recherchez-la de nouveau.")
MSG_STRUCTURE_EXISTS = _(
    "Cette structure existe déjà ({name}) : vous ne pouvez pas la créer une seconde fois. "
    "Demandez plutôt un rattachement à son gestionnaire principal."
)
MSG_IDENTIFIER_TYPE_REQUIRED = _("Choisissez le type d'identifiant de la structure.")
MSG_FRENCH_POSTCODE = _("Un code postal français comporte 5 chiffres (par exemple 38000).")
FRENCH_POSTCODE = re.compile(r"^[0-9]{5}$")

MSG_CITY_SIRET = _("C'est le SIRET de la Ville de Grenoble, votre cliente : saisissez celui de votre propre structure.")

NEW_STRUCTURE = "nouvelle"


def reject_city_siret(identifier_type, identifier):
    if identifier_type == IdentifierType.SIRET and identifier == settings.CITY_SIRET:
        raise ValidationError(MSG_CITY_SIRET, code="city_siret")


class StructureSearchForm(forms.Form):
    """« Demander un rattachement à une structure »: the seed's search block, then a choice.

    The same form serves the wizard step and the stand-alone page. `choice` is set by the
    button the supplier clicks in the results (a structure here, an establishment of the
    directory) or by « + Saisir une nouvelle structure ».
    """

    fieldsets = [
        (_("Rechercher par identifiant"), ["identifier_type", "identifier"]),
        (_("Ou rechercher par nom"), ["raison_sociale", "postcode", "city"]),
    ]

    identifier_type = forms.ChoiceField(
        label=_("Type d'identifiant"), choices=IdentifierType.choices, initial=IdentifierType.SIRET
    )
    identifier = forms.CharField(
        label=_("Identifiant"),
        required=False,
        max_length=100,
        help_text=_("Le SIRET de votre structure (14 chiffres), pas celui de la Ville de Grenoble."),
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}),
    )
    raison_sociale = forms.CharField(
        label=_("Libellé de la structure"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    postcode = forms.CharField(
        label=_("Code postal"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=_("Ville"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    choice = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, searching=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.searching = searching

    def clean_identifier(self):
        value = self.cleaned_data["identifier"].strip()
        identifier_type = self.data.get(self.add_prefix("identifier_type")) or IdentifierType.SIRET
        if not value:
            return ""
        if identifier_type not in IdentifierType.values:
            return value  # the choice field reports it
        identifier = normalize_identifier(identifier_type, value)
        reject_city_siret(identifier_type, identifier)
        return identifier

    def clean(self):
        cleaned = super().clean()
        criteria = [cleaned.get(name) for name in ("identifier", "raison_sociale", "postcode", "city")]
        choice = (cleaned.get("choice") or "").strip()
        if self.searching or not choice:
            if not any(criteria) and not self.errors:
                raise ValidationError(MSG_SEARCH_CRITERIA)
            if not self.searching and not choice and not self.errors:
                raise ValidationError(MSG_CHOOSE)
            return cleaned
        cleaned["structure"] = None
        cleaned["siret"] = ""
        if choice == NEW_STRUCTURE:
            return cleaned
        kind, _sep, value = choice.partition(":")
        if kind == "structure" and value.isdigit():
            structure = Structure.objects.filter(pk=int(value)).first()
            if structure is None:
                raise ValidationError(MSG_UNKNOWN_CHOICE)
            self._check_can_join(structure)
            cleaned["structure"] = structure
        elif kind == "siret":
            try:
                siret = normalize_identifier(IdentifierType.SIRET, value)
                reject_city_siret(IdentifierType.SIRET, siret)
            except ValidationError:
                raise ValidationError(MSG_UNKNOWN_CHOICE) from None
            structure = existing_structure(IdentifierType.SIRET, siret)
            if structure is not None:  # registered since the search: join it instead
                self._check_can_join(structure)
                cleaned["structure"] = structure
            else:
                cleaned["siret"] = siret
        else:
            raise ValidationError(MSG_UNKNOWN_CHOICE)
        return cleaned

    def _check_can_join(self, structure):
        if not structure.is_active:
            raise ValidationError(MSG_STRUCTURE_INACTIVE)
        if self.user is None or not self.user.is_authenticated:
            return
        if Membership.objects.filter(user=self.user, structure=structure).exists():
            raise ValidationError(MSG_ALREADY_MEMBER)
        if AttachmentRequest.objects.filter(
            user=self.user, structure=structure, status=AttachmentRequest.Status.PENDING
        ).exists():
            raise ValidationError(MSG_ALREADY_REQUESTED)

    def search_outcome(self):
        """Results for the criteria typed, once they are valid (None before any search)."""
        if not self.is_bound:
            return None
        self.is_valid()
        if any(name in self.errors for name in SEARCH_CRITERIA):
            return None
        values = {name: self.cleaned_data.get(name, "") for name in SEARCH_CRITERIA}
        if not any(values[name] for name in SEARCH_CRITERIA[1:]):
            return None
        return search(**values)

    def export_query(self):
        """The query string of « Exporter les résultats » for the criteria typed."""
        if not self.is_bound:
            return ""
        return urlencode({name: self.data.get(self.add_prefix(name), "") for name in SEARCH_CRITERIA})

    @property
    def wants_new_structure(self):
        return self.cleaned_data.get("choice") == NEW_STRUCTURE or bool(self.cleaned_data.get("siret"))


class NewStructureForm(forms.Form):
    """« Création d'une nouvelle structure »: with a SIRET, the INSEE directory fills in the rest."""

    HAS_SIRET = "oui"
    NO_SIRET = "non"

    fieldsets = [
        (_("Identification"), ["has_siret", "identifier_type", "identifier"]),
        (_("Informations générales"), ["raison_sociale"]),
        (_("Adresse postale"), ["address", "address_complement", "postcode", "city", "country"]),
    ]
    directory_fields = ["raison_sociale", "address", "postcode", "city"]

    has_siret = forms.ChoiceField(
        label=_("Votre structure a-t-elle un SIRET ?"),
        choices=[(HAS_SIRET, _("La structure a un SIRET")), (NO_SIRET, _("La structure n'a pas de SIRET"))],
        initial=HAS_SIRET,
        widget=forms.RadioSelect,
    )
    identifier_type = forms.ChoiceField(
        label=_("Type d'identifiant (si la structure n'a pas de SIRET)"),
        choices=[("", _("Sélectionner une option"))]
        + [c for c in IdentifierType.choices if c[0] != IdentifierType.SIRET],
        required=False,
    )
    identifier = forms.CharField(
        label=_("Identifiant"),
        max_length=100,
        required=False,
        help_text=_("SIRET : 14 chiffres. Particulier ou en cours d'immatriculation : votre nom ou un libellé."),
    )
    raison_sociale = forms.CharField(
        label=_("Raison sociale"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    address = forms.CharField(
        label=_("Adresse"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    address_complement = forms.CharField(
        label=_("Complément d'adresse"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    postcode = forms.CharField(
        label=_("Code postal"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label=_("Ville"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    country = country_field(label=_("Pays"), initial="FR")
    # The SIRET whose directory values were shown to the supplier (read-only) on the last page.
    verified = forms.CharField(required=False, max_length=14, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.establishment = None
        self.directory_message = ""
        self.existing = None
        # When the directory confirmed the identity, its values are shown read-only and
        # are the ones kept, whatever is posted.
        if self.is_bound and self._posted_siret_is_verified():
            self._show_directory_fields_read_only()

    def _show_directory_fields_read_only(self):
        for name in self.directory_fields:
            self.fields[name].widget.attrs["readonly"] = True

    def _posted_siret_is_verified(self):
        return bool(self.data.get(self.add_prefix("verified")))

    def clean(self):
        cleaned = super().clean()
        has_siret = cleaned.get("has_siret")
        if has_siret == self.HAS_SIRET:
            identifier_type = IdentifierType.SIRET
        else:
            identifier_type = cleaned.get("identifier_type")
            if not identifier_type:
                self.add_error("identifier_type", MSG_IDENTIFIER_TYPE_REQUIRED)
                return cleaned
        cleaned["identifier_type"] = identifier_type
        try:
            identifier = normalize_identifier(identifier_type, cleaned.get("identifier", ""))
            reject_city_siret(identifier_type, identifier)
        except ValidationError as error:
            self.add_error("identifier", error)
            return cleaned
        cleaned["identifier"] = identifier

        self.existing = existing_structure(identifier_type, identifier)
        if self.existing is not None:
            self.add_error("identifier", MSG_STRUCTURE_EXISTS.format(name=self.existing.raison_sociale))
            return cleaned

        cleaned["verified_by_directory"] = False
        if identifier_type == IdentifierType.SIRET:
            try:
                self.establishment = sirene.lookup_siret(identifier)
            except sirene.EstablishmentNotFound as error:
                self.add_error("identifier", error.message)
                return cleaned
            except sirene.DirectoryUnavailable as error:
                self.directory_message = error.message  # the manual path: « non vérifié »
            else:
                if not self.establishment.is_open:
                    self.add_error("identifier", sirene.ESTABLISHMENT_CLOSED_MESSAGE)
                    return cleaned
                if self.establishment.is_public:
                    cleaned.update(
                        raison_sociale=self.establishment.raison_sociale,
                        address=self.establishment.address_line,
                        postcode=self.establishment.postcode,
                        city=self.establishment.city,
                        country="FR",
                        verified_by_directory=True,
                    )
                    return cleaned
                self.directory_message = sirene.ESTABLISHMENT_NOT_PUBLIC_MESSAGE

        for name in self.directory_fields:
            if not (cleaned.get(name) or "").strip():
                self.add_error(name, forms.Field.default_error_messages["required"])
        postcode = (cleaned.get("postcode") or "").strip()
        if cleaned.get("country") == "FR" and postcode and not FRENCH_POSTCODE.match(postcode):
            self.add_error("postcode", MSG_FRENCH_POSTCODE)
        return cleaned

    @property
    def needs_confirmation(self):
        """Valid, but the directory's values were not shown to the supplier yet."""
        return bool(self.cleaned_data.get("verified_by_directory")) and (
            self.cleaned_data.get("verified") != self.cleaned_data.get("identifier")
        )

    def confirmation_form(self):
        """The page that shows the directory's values before going on: a form holding what was
        posted, with the directory's values read-only.

        Unbound, with those values as its initial ones: this form was valid and the new one
        holds its cleaned values, so it has no error to show and is not validated again (that
        asked the database and the directory a second time).
        """
        initial = {name: self[name].data for name in self.fields}
        for name in [*self.directory_fields, "country"]:
            initial[name] = self.cleaned_data[name]
        initial["identifier"] = initial["verified"] = self.cleaned_data["identifier"]
        form = type(self)(prefix=self.prefix, initial=initial, renderer=self.renderer)
        form._show_directory_fields_read_only()
        return form

    def structure_details(self):
        from .services import StructureDetails

        data = self.cleaned_data
        return StructureDetails(
            identifier_type=data["identifier_type"],
            identifier=data["identifier"],
            raison_sociale=data["raison_sociale"].strip(),
            address=data["address"].strip(),
            address_complement=data.get("address_complement", "").strip(),
            postcode=data["postcode"].strip(),
            city=data["city"].strip(),
            country=data.get("country") or "FR",
            verified_by_directory=data["verified_by_directory"],
        )


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du refus"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Il sera envoyé au demandeur."),
        error_messages={"required": _("Indiquez le motif du refus : il sera envoyé au demandeur.")},
    )


MSG_CHOOSE_NEW_MANAGER = _("Choisissez le membre de la structure qui deviendra gestionnaire principal.")
MSG_CONFIRM_HAND_OVER = _("Cochez la case pour confirmer : vous ne pourrez plus gérer la structure ensuite.")


class HandOverForm(forms.Form):
    """« Transmettre le rôle de gestionnaire principal » to another member of the structure."""

    new_manager = forms.ModelChoiceField(
        label=_("Nouveau gestionnaire principal"),
        queryset=Membership.objects.none(),
        empty_label=_("— Choisissez un membre —"),
        error_messages={"required": MSG_CHOOSE_NEW_MANAGER, "invalid_choice": MSG_CHOOSE_NEW_MANAGER},
    )
    confirm = forms.BooleanField(
        label=_(
            "Je comprends que je deviendrai simple utilisateur : les coordonnées bancaires et les mandats "
            "seront gérés par le nouveau gestionnaire principal."
        ),
        error_messages={"required": MSG_CONFIRM_HAND_OVER},
    )

    def __init__(self, *args, structure, user, **kwargs):
        super().__init__(*args, **kwargs)
        members = (
            Membership.objects.filter(structure=structure, user__is_active=True)
            .exclude(user=user)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
        self.fields["new_manager"].queryset = members
        self.fields["new_manager"].label_from_instance = lambda m: f"{m.user.get_full_name()} ({m.user.email})"
