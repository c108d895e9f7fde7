import re
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import country_field
from core.ids import parse_id

from . import services, sirene
from .identifiers import MSG_IDENTIFIER_REQUIRED, IdentifierType, normalize_identifier
from .models import Membership, Structure

# What a search looks for (one at least), and what narrows it.
SEARCH_TEXTS = ("identifier", "raison_sociale", "last_name", "first_name", "postcode", "city")
SEARCH_FILTERS = ("identifier_type", "status", "country")
SEARCH_CRITERIA = SEARCH_FILTERS + SEARCH_TEXTS

MSG_SEARCH_CRITERIA = _("Saisissez un identifiant, ou une raison sociale, un code postal ou une ville.")
MSG_CHOOSE = _(
    "Recherchez votre structure, puis choisissez-la dans les résultats ou cliquez sur « + Saisir une nouvelle "
    "structure »."
)
MSG_UNKNOWN_CHOICE = _("Cette structure n'existe pas ou plus : recherchez-la de nouveau.")
MSG_NAME_SEARCH_HINT = _(
    "Pour retrouver la structure d'un particulier à laquelle vous êtes rattaché(e) : elle n'est jamais publiée."
)
MSG_IDENTIFIER_TYPE_REQUIRED = _("Choisissez le type d'identifiant de la structure.")
MSG_FRENCH_POSTCODE = _("Un code postal français comporte 5 chiffres (par exemple 38000).")
FRENCH_POSTCODE = re.compile(r"^[0-9]{5}$")

# The value of the search form's `choice` set by « + Saisir une nouvelle structure » (the results'
# buttons set services.CHOOSE_STRUCTURE or CHOOSE_SIRET).
NEW_STRUCTURE = "nouvelle"
# The button « Demander un rattachement » of a new structure's page, when it exists already.
JOIN_EXISTING = "rattachement"
# The new structure's second page: « Modifier l'identifiant » goes back to the first one.
CHANGE_IDENTIFIER = "modifier"
# « Annuler » on the new structure's pages: back to the search, the new structure left.
CANCEL = "annuler"
# « Confirmer la demande de rattachement »: the results' « Demander un rattachement » asks first.
CONFIRM_JOIN = "confirmer"


def checked_identifier(identifier_type, value):
    """The identifier normalised and allowed (never the city's SIRET), or ValidationError."""
    identifier = normalize_identifier(identifier_type, value)
    try:
        services.check_identifier(identifier_type, identifier)
    except services.AttachmentError as error:
        raise ValidationError(error.message, code="city_siret") from None
    return identifier


class StructureSearchForm(forms.Form):
    """« Demander un rattachement à une structure »: the seed's search block, then a choice.

    The same form serves the wizard step and the stand-alone page. `choice` is set by the
    button the supplier clicks in the results (a structure here, an establishment of the
    directory) or by « + Saisir une nouvelle structure ».
    """

    fieldsets = [
        (_("Rechercher par identifiant"), ["identifier", "identifier_type"]),
        (
            _("Ou rechercher par libellé"),
            ["raison_sociale", "status", "last_name", "first_name", "postcode", "city", "country"],
        ),
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
    status = forms.ChoiceField(
        label=_("Statut"), required=False, choices=[("", _("Tous les statuts")), *Structure.Status.choices]
    )
    # Individuals' structures, for their members only (services.search): not offered to a visitor.
    last_name = forms.CharField(
        label=_("Nom"),
        required=False,
        max_length=150,
        help_text=MSG_NAME_SEARCH_HINT,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    first_name = forms.CharField(
        label=_("Prénom"), required=False, max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
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
    country = country_field(blank=True, blank_label=_("Tous les pays"), label=_("Pays"), required=False)
    choice = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, searching=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.searching = searching
        # The page asks to confirm the request to join the structure chosen (nothing sent yet).
        self.confirming = False
        if not self.viewer_is_logged_in:
            del self.fields["last_name"], self.fields["first_name"]

    @property
    def viewer_is_logged_in(self):
        return self.user is not None and self.user.is_authenticated

    def clean_identifier(self):
        value = self.cleaned_data["identifier"].strip()
        identifier_type = self.data.get(self.add_prefix("identifier_type")) or IdentifierType.SIRET
        if not value:
            return ""
        if identifier_type not in IdentifierType.values:
            return value  # the choice field reports it
        return checked_identifier(identifier_type, value)

    def clean(self):
        cleaned = super().clean()
        criteria = [cleaned.get(name) for name in SEARCH_TEXTS]
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
        if kind == "structure" and parse_id(value) is not None:
            structure = Structure.objects.filter(pk=parse_id(value)).first()
            # Only what the search shows may be chosen: guessing numbers reveals nothing.
            if structure is None or not services.may_be_shown(structure, identifier=cleaned.get("identifier", "")):
                raise ValidationError(MSG_UNKNOWN_CHOICE)
            user = self.user if self.viewer_is_logged_in else None
            try:
                services.check_can_join(user, structure)
            except services.AttachmentError as error:
                raise ValidationError(error.message) from None
            cleaned["structure"] = structure
        elif kind == "siret":
            # An establishment of the directory: the new structure's step checks it is not
            # registered by now (and offers to join it if it is).
            try:
                cleaned["siret"] = checked_identifier(IdentifierType.SIRET, value)
            except ValidationError:
                raise ValidationError(MSG_UNKNOWN_CHOICE) from None
        else:
            raise ValidationError(MSG_UNKNOWN_CHOICE)
        return cleaned

    @classmethod
    def data_to_join(cls, prefix, structure):
        """What a browser posts to choose joining `structure` after a search by its identifier
        (formtools stores lists of values)."""
        return {
            f"{prefix}-identifier_type": [structure.identifier_type],
            f"{prefix}-identifier": [structure.identifier],
            f"{prefix}-choice": [services.CHOOSE_STRUCTURE.format(pk=structure.pk)],
        }

    def search_outcome(self):
        """Results for the criteria typed, once they are valid (None before any search)."""
        if not self.is_bound:
            return None
        self.is_valid()
        if any(name in self.errors for name in SEARCH_CRITERIA):
            return None
        values = {name: self.cleaned_data.get(name) or "" for name in SEARCH_CRITERIA if name in self.fields}
        if not any(values.get(name) for name in SEARCH_TEXTS):
            return None
        return services.search(**values, viewer=self.user)

    def export_query(self):
        """The query string of « Exporter les résultats » for the criteria typed."""
        if not self.is_bound:
            return ""
        return urlencode(
            {name: self.data.get(self.add_prefix(name), "") for name in SEARCH_CRITERIA if name in self.fields}
        )

    @property
    def wants_new_structure(self):
        return wants_new_structure(self.cleaned_data)

    def needs_join_confirmation(self, posted):
        """A structure to join was chosen (valid), and « Confirmer » was not clicked yet."""
        return CONFIRM_JOIN not in posted and self.is_valid() and self.cleaned_data.get("structure") is not None

    @property
    def structure_to_join(self):
        return self.cleaned_data.get("structure") if self.confirming else None

    @property
    def chosen_siret(self):
        """The SIRET of the establishment chosen in the directory's results ("" otherwise)."""
        return self.cleaned_data.get("siret", "")


def wants_new_structure(cleaned_data):
    """Whether the search form's valid data chose to create a structure (not to join one)."""
    return cleaned_data.get("choice") == NEW_STRUCTURE or bool(cleaned_data.get("siret"))


class NewStructureForm(forms.Form):
    """« Création d'une nouvelle structure »: with a SIRET, the INSEE directory fills in the rest."""

    HAS_SIRET = "oui"
    NO_SIRET = "non"

    fieldsets = [
        (_("Identification"), ["has_siret", "identifier_type", "identifier"]),
        (_("Informations générales"), ["raison_sociale"]),
        (_("Adresse postale"), ["address", "address_complement", "postcode", "city", "country"]),
    ]
    # The procedure's two pages: the identification, « Étape suivante »; then the blocks
    # « Informations générales » and « Adresse postale » (pre-filled from INSEE), « Enregistrer ».
    identification_fields = ["has_siret", "identifier_type", "identifier"]
    details_fields = ["raison_sociale", "address", "address_complement", "postcode", "city", "country"]
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
        help_text=_("SIRET : 14 chiffres. Particulier ou en cours d'immatriculation : votre nom ou un libellé."),
        error_messages={"required": MSG_IDENTIFIER_REQUIRED},
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
    # Not posted by the first page: required on the second one (clean()), where its select always
    # has a value.
    country = country_field(label=_("Pays"), initial="FR", required=False)
    # The SIRET whose directory values were shown to the supplier (read-only) on the last page.
    verified = forms.CharField(required=False, max_length=14, widget=forms.HiddenInput)
    # The identifier the page of the blocks was shown for (second page of the procedure).
    identified = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, directory=services.look_up_siret, **kwargs):
        """`directory(siret)` gives the INSEE directory's DirectoryAnswer for a SIRET: the wizard
        passes one that keeps the answers with its data (structures/stage.py)."""
        super().__init__(*args, **kwargs)
        self.directory = directory
        self.directory_message = ""
        self.existing = None
        # The blocks are filled in on the second page: marked as the procedure marks them.
        for name in [*self.directory_fields, "country"]:
            self.fields[name].shown_as_required = True
        # When the directory confirmed the identity, its values are shown read-only and
        # are the ones kept, whatever is posted.
        if self.is_bound and self._posted_siret_is_verified():
            self._show_directory_fields_read_only()

    @classmethod
    def initial_for(cls, identifier_type, identifier):
        """The first page pre-filled with the identifier of a search."""
        if identifier_type == IdentifierType.SIRET:
            return {"has_siret": cls.HAS_SIRET, "identifier": identifier}
        return {"has_siret": cls.NO_SIRET, "identifier_type": identifier_type, "identifier": identifier}

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
        if "identifier" in self.errors:
            return cleaned  # required, and said so once
        try:
            identifier = normalize_identifier(identifier_type, cleaned.get("identifier", ""))
            services.check_can_create(identifier_type, identifier)
        except ValidationError as error:
            self.add_error("identifier", error)
            return cleaned
        except services.StructureExists as error:
            if error.may_join:
                self.existing = error.structure  # the page offers « Demander un rattachement » to it
            error.add_to(self)
            return cleaned
        except services.AttachmentError as error:
            error.add_to(self)
            return cleaned
        cleaned["identifier"] = identifier

        cleaned["verified_by_directory"] = False
        if identifier_type == IdentifierType.SIRET:
            answer = self.directory(identifier)
            if answer.outcome == answer.NOT_FOUND:
                self.add_error("identifier", sirene.MSG_ESTABLISHMENT_NOT_FOUND)
                return cleaned
            if answer.outcome == answer.UNAVAILABLE:
                self.directory_message = sirene.MSG_DIRECTORY_UNAVAILABLE  # the manual path: « non vérifié »
            elif not answer.is_open:
                self.add_error("identifier", sirene.MSG_ESTABLISHMENT_CLOSED)
                return cleaned
            elif answer.is_public:
                cleaned.update(
                    raison_sociale=answer.raison_sociale,
                    address=answer.address_line,
                    postcode=answer.postcode,
                    city=answer.city,
                    country="FR",
                    verified_by_directory=True,
                )
                return cleaned
            else:
                self.directory_message = sirene.MSG_ESTABLISHMENT_NOT_PUBLIC

        for name in [*self.directory_fields, "country"]:
            if name not in self.errors and not str(cleaned.get(name) or "").strip():
                self.add_error(name, forms.Field.default_error_messages["required"])
        postcode = (cleaned.get("postcode") or "").strip()
        if cleaned.get("country") == "FR" and postcode and not FRENCH_POSTCODE.match(postcode):
            self.add_error("postcode", MSG_FRENCH_POSTCODE)
        return cleaned

    # Which page is shown, and what comes next (the wizard's step and the stand-alone page).

    @property
    def identification_is_valid(self):
        return self.is_bound and not any(name in self.errors for name in self.identification_fields)

    @property
    def shows_details(self):
        """Whether the page is the second one (the blocks), rather than the identification."""
        if not self.is_bound:
            return bool(self.initial.get("identified"))
        return self.identification_is_valid

    @property
    def needs_confirmation(self):
        """Valid, but the directory's values were not shown to the supplier yet."""
        return bool(self.cleaned_data.get("verified_by_directory")) and (
            self.cleaned_data.get("verified") != self.cleaned_data.get("identifier")
        )

    @property
    def needs_details_page(self):
        """« Étape suivante » on the identification: it is right, the blocks are to be shown
        (without the errors of fields not shown yet)."""
        if self.is_valid() or not self.identification_is_valid:
            return False
        if self.data.get(self.add_prefix("identified")) == self.cleaned_data.get("identifier"):
            return False  # shown already: its errors are to be shown
        # Blocks posted along with the identification (by a client other than the pages) are
        # checked as they are.
        typed = [name for name in self.details_fields if name != "country"]  # the country has a default
        return not any((self.data.get(self.add_prefix(name)) or "").strip() for name in typed)

    def next_page(self):
        """The page to show after a POST, or None when the form is valid and may go on."""
        if self.is_valid():
            return self.confirmation_form() if self.needs_confirmation else None
        if self.needs_details_page:
            return self.details_form()
        return self

    def _unbound(self, initial):
        form = type(self)(prefix=self.prefix, initial=initial, renderer=self.renderer, directory=self.directory)
        form.directory_message = self.directory_message
        return form

    def details_form(self):
        """The second page: the identification kept, the blocks to fill in (no error yet)."""
        initial = {name: self[name].data for name in self.fields}
        initial["identifier"] = initial["identified"] = self.cleaned_data["identifier"]
        return self._unbound(initial)

    def identification_form(self):
        """« Modifier l'identifiant »: the first page again, with what was typed."""
        initial = {name: self[name].data for name in self.fields if name not in ("verified", "identified")}
        return self._unbound(initial)

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
        initial["identifier"] = initial["verified"] = initial["identified"] = self.cleaned_data["identifier"]
        form = self._unbound(initial)
        form._show_directory_fields_read_only()
        return form

    @property
    def verified_by_directory(self):
        """The blocks shown are the INSEE directory's (read-only)."""
        return bool(self["verified"].value())

    def chosen_type_label(self):
        """The identifier's type, as the second page recalls it."""
        if self["has_siret"].value() == self.HAS_SIRET:
            return IdentifierType.SIRET.label
        value = self["identifier_type"].value()
        return IdentifierType(value).label if value in IdentifierType.values else ""

    def structure_details(self):
        return services.StructureDetails.from_cleaned_data(self.cleaned_data)


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
