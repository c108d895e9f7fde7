from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def normalize_email(self, email):
        # The connection e-mail is the login and is unique whatever its letter case:
        # store it in lower case so that every comparison is a plain one.
        return (email or "").strip().lower()

    def get_by_natural_key(self, email):
        return self.get(email=self.normalize_email(email))

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError("The connection e-mail is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)  # None gives an unusable password
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, is_active=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: a supplier's user, or the city's finance staff.

    The connection e-mail (« adresse électronique de connexion ») is the login; there is
    no username.
    """

    email = models.EmailField(_("adresse électronique de connexion"), max_length=254, unique=True)
    last_name = models.CharField(_("nom"), max_length=100)
    first_name = models.CharField(_("prénom"), max_length=100)
    is_staff = models.BooleanField(
        _("membre du personnel"),
        default=False,
        help_text=_("Peut se connecter à l'administration (agents de la Ville)."),
    )
    is_active = models.BooleanField(
        _("actif"),
        default=True,
        help_text=_("Un compte créé par l'inscription reste inactif jusqu'à l'activation par le lien envoyé."),
    )
    date_joined = models.DateTimeField(_("date d'inscription"), default=timezone.now)
    activated_at = models.DateTimeField(_("activé le"), null=True, blank=True)
    language = models.CharField(
        _("langue"),
        max_length=10,
        choices=[("fr", "Français"), ("en", "English")],
        default="fr",
        help_text=_("La langue des courriels envoyés à cet utilisateur."),
    )
    # The second factor asked after the password (twofactor/): kept in step with the user's
    # django-otp devices by twofactor.services, so that no page needs a query to know it.
    SECOND_FACTOR_EMAIL = "email"
    SECOND_FACTOR_TOTP = "totp"
    second_factor = models.CharField(
        _("second facteur"),
        max_length=10,
        choices=[
            (SECOND_FACTOR_EMAIL, _("code envoyé par courriel")),
            (SECOND_FACTOR_TOTP, _("application d'authentification")),
        ],
        default=SECOND_FACTOR_EMAIL,
        editable=False,
        help_text=_(
            "Demandé après le mot de passe. Se change par l'utilisateur, ou se réinitialise par l'action de la liste."
        ),
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["last_name", "first_name"]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name

    @property
    def notification_email(self):
        """Where notifications go: the contact e-mail when one was given."""
        profile = getattr(self, "profile", None)
        return (profile and profile.contact_email) or self.email


class SupplierProfile(models.Model):
    """What a supplier's user gives at stage A besides the login: contact and postal address."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("utilisateur"))
    contact_email = models.EmailField(
        _("adresse électronique de contact"),
        max_length=254,
        blank=True,
        help_text=_("Reçoit les notifications, si elle diffère de l'adresse de connexion."),
    )
    address = models.CharField(_("adresse"), max_length=150)
    address_complement_1 = models.CharField(_("complément d'adresse 1"), max_length=150, blank=True)
    address_complement_2 = models.CharField(_("complément d'adresse 2"), max_length=150, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10)
    city = models.CharField(_("ville"), max_length=100)
    country = CountryField(_("pays"), default="FR")
    phone = PhoneNumberField(_("téléphone"), blank=True)
    fax = PhoneNumberField(_("fax"), blank=True)
    terms_accepted_at = models.DateTimeField(_("conditions d'utilisation acceptées le"))

    class Meta:
        verbose_name = _("profil de fournisseur")
        verbose_name_plural = _("profils de fournisseurs")

    def __str__(self):
        return str(self.user)
