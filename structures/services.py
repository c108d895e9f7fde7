"""Stage B: structures, memberships and attachment requests. The only place that changes them."""

from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus import portal
from core.emails import send_email_on_commit
from core.errors import DomainError
from twofactor.services import notify

from . import sirene
from .identifiers import IdentifierType
from .models import AttachmentRequest, Membership, Structure

MSG_ALREADY_MEMBER = _("Vous êtes déjà rattaché à cette structure.")
MSG_ALREADY_REQUESTED = _(
    "Vous avez déjà demandé un rattachement à cette structure : son gestionnaire principal ne l'a pas encore traité."
)
MSG_STRUCTURE_INACTIVE = _("Cette structure est inactive : aucun rattachement n'est possible.")
MSG_NOT_PENDING = _("Cette demande a déjà été traitée.")
MSG_REFUSAL_REASON_REQUIRED = _("Indiquez le motif du refus : il sera envoyé au demandeur.")
MSG_CITY_SIRET = _("C'est le SIRET de la Ville de Grenoble, votre cliente : saisissez celui de votre propre structure.")
MSG_STRUCTURE_EXISTS = _(
    "Cette structure existe déjà ({name}) : vous ne pouvez pas la créer une seconde fois. "
    "Demandez plutôt un rattachement à son gestionnaire principal."
)
MSG_PRIVATE_STRUCTURE_EXISTS = _(
    "Une structure porte déjà cet identifiant. Si c'est la vôtre, connectez-vous avec le compte qui l'a créée ; "
    "sinon, saisissez un identifiant qui la distingue (par exemple votre nom suivi de votre ville)."
)
MSG_NEW_MANAGER_NOT_MEMBER = _("Le nouveau gestionnaire principal doit déjà être rattaché à la structure.")


class AttachmentError(DomainError):
    """A structure, a membership or an attachment request refused; `message` says why."""


class StructureExists(AttachmentError):
    """The structure to create is registered already: `structure` is the one to ask to join.

    An individual's structure is not named (its name is a person's, never published): the
    message says only that the identifier is taken.
    """

    def __init__(self, structure):
        if structure.identifier_type in PRIVATE_TYPES:
            message = MSG_PRIVATE_STRUCTURE_EXISTS
        else:
            message = MSG_STRUCTURE_EXISTS.format(name=structure.raison_sociale)
        super().__init__(message, field="identifier")
        self.structure = structure

    @property
    def may_join(self):
        """Whether the page may offer « Demander un rattachement » to it (never an individual's)."""
        return self.structure.identifier_type not in PRIVATE_TYPES


@dataclass(frozen=True)
class StructureDetails:
    identifier_type: str
    identifier: str
    raison_sociale: str
    address: str
    postcode: str
    city: str
    country: str = "FR"
    address_complement: str = ""
    verified_by_directory: bool = False

    @classmethod
    def from_cleaned_data(cls, data):
        """From a valid NewStructureForm's cleaned data."""
        return cls(
            identifier_type=data["identifier_type"],
            identifier=data["identifier"],
            raison_sociale=data["raison_sociale"].strip(),
            address=data["address"].strip(),
            address_complement=(data.get("address_complement") or "").strip(),
            postcode=data["postcode"].strip(),
            city=data["city"].strip(),
            country=str(data.get("country") or "FR"),
            verified_by_directory=data["verified_by_directory"],
        )


@dataclass(frozen=True)
class Outcome:
    """What attaching a user led to: a structure they now manage, or a request to join one."""

    structure: Structure
    created: bool = False
    request: AttachmentRequest | None = None


# The rules on identifiers and on joining


def check_identifier(identifier_type, identifier):
    """The rule on an identifier beyond its format: it is never the city's own SIRET."""
    if identifier_type == IdentifierType.SIRET and identifier == settings.CITY_SIRET:
        raise AttachmentError(MSG_CITY_SIRET, field="identifier")


def check_can_create(identifier_type, identifier):
    """A new structure with this identifier may be created (StructureExists names the one there is)."""
    check_identifier(identifier_type, identifier)
    existing = existing_structure(identifier_type, identifier)
    if existing is not None:
        raise StructureExists(existing)


def check_can_join(user, structure):
    """`user` (None or not saved yet: someone registering) may ask to join `structure`."""
    _check_not_member(user, structure)
    if user is None or not user.pk:
        return
    if AttachmentRequest.objects.filter(
        user=user, structure=structure, status=AttachmentRequest.Status.PENDING
    ).exists():
        raise AttachmentError(MSG_ALREADY_REQUESTED)


def _check_not_member(user, structure):
    if not structure.is_active:
        raise AttachmentError(MSG_STRUCTURE_INACTIVE)
    if user is not None and user.pk and Membership.objects.filter(user=user, structure=structure).exists():
        raise AttachmentError(MSG_ALREADY_MEMBER)


# Attachment


def request_attachment(user, structure):
    """Ask to join `structure`; its main manager (or finance staff) decides.

    The main manager is told once the requester's address is proven (at once for an active
    account, at activation for an account created by the wizard).
    """
    # A pending request already there is found by the database's constraint, below.
    _check_not_member(user, structure)
    try:
        with transaction.atomic():
            request = AttachmentRequest.objects.create(user=user, structure=structure)
    except IntegrityError:
        # The partial unique constraint: one pending request per user and structure.
        raise AttachmentError(MSG_ALREADY_REQUESTED) from None
    if user.is_active:
        _notify_main_manager(request)
    return request


def notify_pending_requests(user):
    """Tell the main managers about `user`'s requests that waited for the account's activation."""
    for request in AttachmentRequest.objects.filter(user=user, status=AttachmentRequest.Status.PENDING).select_related(
        "structure"
    ):
        _notify_main_manager(request)


def _notify_main_manager(request):
    manager = request.structure.main_manager
    if manager is None:
        return  # finance staff see every pending request in the admin
    send_email_on_commit(
        "attachment_requested",
        manager.notification_email,
        {"manager": manager, "requester": request.user, "structure": request.structure},
        language=manager.language,
    )


def can_decide(user, request):
    """The structure's main manager, or finance staff allowed to change requests."""
    if user.has_perm("structures.change_attachmentrequest"):
        return True
    return Membership.objects.filter(
        user=user, structure_id=request.structure_id, role=Membership.Role.MAIN_MANAGER
    ).exists()


def accept_request(request, *, by):
    return _decide(request, by=by, status=AttachmentRequest.Status.ACCEPTED)


def refuse_request(request, *, by, reason):
    reason = (reason or "").strip()
    if not reason:
        raise AttachmentError(MSG_REFUSAL_REASON_REQUIRED)
    return _decide(request, by=by, status=AttachmentRequest.Status.REFUSED, reason=reason)


def _decide(request, *, by, status, reason=""):
    if not can_decide(by, request):
        raise PermissionDenied
    with transaction.atomic():
        # Lock the row: two managers clicking at once decide it once.
        locked = AttachmentRequest.objects.select_for_update().get(pk=request.pk)
        if not locked.is_pending:
            raise AttachmentError(MSG_NOT_PENDING)
        locked.status = status
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.refusal_reason = reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])
        if status == AttachmentRequest.Status.ACCEPTED:
            Membership.objects.get_or_create(
                user=locked.user, structure=locked.structure, defaults={"role": Membership.Role.USER}
            )
        send_email_on_commit(
            "attachment_decided",
            locked.user.notification_email,
            {"request": locked, "requester": locked.user, "structure": locked.structure},
            language=locked.user.language,
        )
    return locked


# Structures


def create_structure(user, details: StructureDetails):
    """Create the structure with `user` as its main manager, or request to join it if it exists.

    Two suppliers creating the same structure at the same moment: the database's unique
    constraint lets one insert win; the other one becomes an attachment request.
    """
    check_identifier(details.identifier_type, details.identifier)
    try:
        with transaction.atomic():
            structure = Structure.objects.create(
                identifier_type=details.identifier_type,
                identifier=details.identifier,
                raison_sociale=details.raison_sociale,
                address=details.address,
                address_complement=details.address_complement,
                postcode=details.postcode,
                city=details.city,
                country=details.country,
                verified_by_directory=details.verified_by_directory,
                status=Structure.Status.ACTIVE,
                created_by=user,
            )
            Membership.objects.create(user=user, structure=structure, role=Membership.Role.MAIN_MANAGER)
    except IntegrityError:
        existing = Structure.objects.get(identifier_type=details.identifier_type, identifier=details.identifier)
        return Outcome(structure=existing, request=request_attachment(user, existing))
    return Outcome(structure=structure, created=True)


def join_structure(user, structure):
    return Outcome(structure=structure, request=request_attachment(user, structure))


def hand_over_main_manager(structure, *, by, to):
    """The main manager hands the role over to another member; the structure keeps exactly one.
    Both people get a security notice."""
    with transaction.atomic():
        memberships = {
            m.user_id: m for m in Membership.objects.select_for_update().filter(structure=structure, user__in=[by, to])
        }
        current, new = memberships.get(by.pk), memberships.get(to.pk)
        if current is None or current.role != Membership.Role.MAIN_MANAGER:
            raise PermissionDenied
        if new is None:
            raise AttachmentError(MSG_NEW_MANAGER_NOT_MEMBER, field="new_manager")
        current.role = Membership.Role.USER
        current.save(update_fields=["role"])
        new.role = Membership.Role.MAIN_MANAGER
        new.save(update_fields=["role"])
        detail = _("« %(structure)s » : de %(former)s à %(new)s.") % {
            "structure": structure.raison_sociale,
            "former": by.email,
            "new": to.email,
        }
        notify(by, "main_manager_handed_over", detail=detail)
        notify(to, "main_manager_received", detail=detail)


def existing_structure(identifier_type, identifier):
    return Structure.objects.filter(identifier_type=identifier_type, identifier=identifier).first()


# The INSEE directory


@dataclass(frozen=True)
class DirectoryAnswer:
    """What the INSEE directory said of a SIRET: kept with a wizard's data, so that validating
    its step again (at each later page, and at the end) never asks the directory again."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"

    siret: str
    outcome: str
    raison_sociale: str = ""
    address_line: str = ""
    postcode: str = ""
    city: str = ""
    is_open: bool = True
    is_public: bool = True

    def as_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The answer `as_dict` gave, or None for anything else."""
        try:
            answer = cls(**data)
        except TypeError:
            return None
        return answer if answer.outcome in (cls.FOUND, cls.NOT_FOUND, cls.UNAVAILABLE) else None


def look_up_siret(siret):
    """The directory's answer for a valid SIRET (sirene.py keeps INSEE's answers a while)."""
    try:
        establishment = sirene.lookup_siret(siret)
    except sirene.EstablishmentNotFound:
        return DirectoryAnswer(siret, DirectoryAnswer.NOT_FOUND)
    except sirene.DirectoryUnavailable:
        return DirectoryAnswer(siret, DirectoryAnswer.UNAVAILABLE)
    return DirectoryAnswer(
        siret,
        DirectoryAnswer.FOUND,
        raison_sociale=establishment.raison_sociale,
        address_line=establishment.address_line,
        postcode=establishment.postcode,
        city=establishment.city,
        is_open=establishment.is_open,
        is_public=establishment.is_public,
    )


# The national portal


PORTAL_ANSWER_SECONDS = 15 * 60


def on_portal(siret):
    """Whether Chorus Pro has a structure with this SIRET already: True, False, or None when the
    portal cannot tell now (it never blocks anything: the page says so or says nothing)."""
    key = f"chorus:structure:v1:{siret}"
    known = cache.get(key)
    if known is not None:
        return known
    try:
        found = portal.find_structure(siret) is not None
    except portal.PortalError:
        return None
    cache.set(key, found, PORTAL_ANSWER_SECONDS)
    return found


# Search


@dataclass(frozen=True)
class SearchResult:
    identifier_type: str
    identifier: str
    raison_sociale: str
    postcode: str
    city: str
    status: str
    structure_id: int | None = None
    is_open: bool = True
    country: str = "FR"
    is_active: bool = True
    is_member: bool = False  # the viewer is attached to it already

    @property
    def identifier_type_label(self):
        return IdentifierType(self.identifier_type).label

    @property
    def is_registered(self):
        """Registered here (a structure), rather than an establishment of the INSEE directory."""
        return self.structure_id is not None

    @property
    def choice(self):
        """The value of its button in the results (the search form reads it back)."""
        if self.structure_id:
            return CHOOSE_STRUCTURE.format(pk=self.structure_id)
        return CHOOSE_SIRET.format(siret=self.identifier)


@dataclass
class SearchOutcome:
    results: list = field(default_factory=list)
    message: str = ""
    directory_unavailable: bool = False


SEARCH_LIMIT = 50
# The value of a result's button: a structure registered here, or an establishment of the directory.
CHOOSE_STRUCTURE = "structure:{pk}"
CHOOSE_SIRET = "siret:{siret}"
MSG_NO_RESULT = _("Aucune structure ne correspond à votre recherche. Vérifiez-la, ou saisissez une nouvelle structure.")

# Who sees which structure in search results and exports (SECURITY.md, « Search and export of
# structures »). The identifier of these types is free text that names a person (« votre nom
# ou un libellé »): their structures are private individuals', shown to their members only.
PRIVATE_TYPES = (IdentifierType.PARTICULIER, IdentifierType.EN_COURS)


def _listed_publicly():
    """Structures anyone may find by name, postcode or city: not an individual's, and for a
    SIRET, a name and address the INSEE directory confirmed as public. (A name typed by hand
    may be an entrepreneur's who asked INSEE not to publish it: such a structure is found by
    its exact SIRET only, as INSEE would.)"""
    return ~Q(identifier_type__in=PRIVATE_TYPES) & ~Q(identifier_type=IdentifierType.SIRET, verified_by_directory=False)


def may_be_shown(structure, *, member_ids=(), identifier=""):
    """Whether a viewer attached to `member_ids` may see `structure` in the results of a search
    for `identifier` (exact, "" for a search by name): the same rule as search(), for one
    structure already loaded. A structure chosen in the results is checked with it: guessing a
    structure's number reveals nothing the search would not show."""
    if structure.pk in member_ids:
        return True
    if structure.identifier_type in PRIVATE_TYPES:
        return False
    if structure.identifier_type == IdentifierType.SIRET and not structure.verified_by_directory:
        return bool(identifier) and identifier == structure.identifier
    return True


def member_structure_ids(user):
    """The structures `user` is attached to (none for an anonymous visitor, without a query)."""
    if user is None or not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user).values_list("structure_id", flat=True))


def search(
    *,
    identifier_type="",
    identifier="",
    raison_sociale="",
    postcode="",
    city="",
    status="",
    country="",
    last_name="",
    first_name="",
    viewer=None,
):
    """Structures already registered here first, then establishments of the INSEE directory.

    `viewer` (a user, or None for an anonymous visitor) sees the structures they are attached to
    as well as the public ones; `last_name`/`first_name` look for individuals' structures, which
    only their members see. Every criterion given must match.
    """
    outcome = SearchOutcome()
    member_ids = member_structure_ids(viewer)
    by_person = bool(last_name or first_name)
    # The city is the buyer: it is never offered as a supplier's structure, whatever the search.
    registered = Structure.objects.exclude(identifier_type=IdentifierType.SIRET, identifier=settings.CITY_SIRET)
    if by_person:
        # Individuals' structures carry the person's name: the viewer's own only.
        registered = registered.filter(identifier_type=IdentifierType.PARTICULIER, pk__in=member_ids)
        for name in (last_name, first_name):
            if name:
                registered = registered.filter(Q(raison_sociale__icontains=name) | Q(identifier__icontains=name))
    elif identifier:
        registered = registered.filter(identifier_type=identifier_type, identifier=identifier)
        registered = registered.filter(~Q(identifier_type__in=PRIVATE_TYPES) | Q(pk__in=member_ids))
    else:
        registered = registered.filter(_listed_publicly() | Q(pk__in=member_ids))
    if not identifier or by_person:
        if raison_sociale:
            registered = registered.filter(raison_sociale__icontains=raison_sociale)
        if postcode:
            registered = registered.filter(postcode=postcode)
        if city:
            registered = registered.filter(city__icontains=city)
    if identifier and by_person:
        registered = registered.filter(identifier=identifier)
    if status:
        registered = registered.filter(status=status)
    if country:
        registered = registered.filter(country=country)
    for structure in registered.order_by("raison_sociale")[:SEARCH_LIMIT]:
        outcome.results.append(
            SearchResult(
                identifier_type=structure.identifier_type,
                identifier=structure.identifier,
                raison_sociale=structure.raison_sociale,
                postcode=structure.postcode,
                city=structure.city,
                status=structure.get_status_display(),
                structure_id=structure.pk,
                country=str(structure.country),
                is_active=structure.is_active,
                is_member=structure.pk in member_ids,
            )
        )
    known = {r.identifier for r in outcome.results if r.identifier_type == IdentifierType.SIRET}

    # The INSEE directory knows French establishments, by SIRET or by name (never people by
    # their last and first names: that search is the viewer's own structures').
    directory = []
    asks_directory = not by_person and country in ("", "FR")
    try:
        if asks_directory and identifier and identifier_type == IdentifierType.SIRET and identifier not in known:
            directory = [sirene.lookup_siret(identifier)]
        elif asks_directory and not identifier:
            directory = sirene.search_establishments(
                name=raison_sociale, postcode=postcode, city=city, limit=SEARCH_LIMIT
            )
    except sirene.EstablishmentNotFound as error:
        if not outcome.results:
            outcome.message = error.message
    except sirene.DirectoryUnavailable as error:
        outcome.directory_unavailable = True
        outcome.message = error.message

    for establishment in directory:
        if establishment.siret in known or establishment.siret == settings.CITY_SIRET:
            continue
        if status and status != (Structure.Status.ACTIVE if establishment.is_open else Structure.Status.INACTIVE):
            continue
        if len(outcome.results) >= SEARCH_LIMIT:
            continue
        outcome.results.append(
            SearchResult(
                identifier_type=IdentifierType.SIRET,
                identifier=establishment.siret,
                raison_sociale=establishment.raison_sociale or _("(non diffusible)"),
                postcode=establishment.postcode,
                city=establishment.city,
                status=_("Actif") if establishment.is_open else _("Fermé"),
                is_open=establishment.is_open,
            )
        )
    if not outcome.results and not outcome.message:
        outcome.message = MSG_NO_RESULT
    return outcome


# What the connected home shows


@dataclass(frozen=True)
class Dashboard:
    memberships: list
    pending_requests: list
    requests_to_decide: list

    @property
    def managed_structures(self):
        return [m.structure for m in self.memberships if m.role == Membership.Role.MAIN_MANAGER]


def dashboard(user):
    """The user's structures with their role, their pending requests, and those they decide."""
    memberships = list(user.memberships.select_related("structure").order_by("structure__raison_sociale"))
    managed_ids = [m.structure_id for m in memberships if m.role == Membership.Role.MAIN_MANAGER]
    # The pending requests the user sent and those they decide, in one query.
    concerned = Q(user=user) | Q(structure_id__in=managed_ids) if managed_ids else Q(user=user)
    pending = list(
        AttachmentRequest.objects.filter(concerned, status=AttachmentRequest.Status.PENDING).select_related(
            "structure", "user"
        )
    )
    mine = [r for r in pending if r.user_id == user.pk]
    to_decide = [r for r in pending if r.structure_id in managed_ids]
    return Dashboard(memberships=memberships, pending_requests=mine, requests_to_decide=to_decide)


def managed_structures(user):
    """The structures `user` is the main manager of: theirs to give bank details and mandates for."""
    return Structure.objects.filter(memberships__user=user, memberships__role=Membership.Role.MAIN_MANAGER).order_by(
        "raison_sociale"
    )
