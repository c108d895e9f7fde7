"""Factories of structures' models: structures and their members."""

import factory

from tests.onboarding.factories import SupplierFactory


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "structures.Structure"

    identifier_type = "siret"
    identifier = factory.Sequence(lambda n: _luhn_siret(n))
    raison_sociale = factory.Sequence(lambda n: f"Menuiserie Martin {n}")
    address = "12 rue Félix Poulat"
    postcode = "38000"
    city = "Grenoble"
    country = "FR"
    verified_by_directory = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "structures.Membership"

    user = factory.SubFactory(SupplierFactory)
    structure = factory.SubFactory(StructureFactory)
    role = "utilisateur"


class MainManagerFactory(MembershipFactory):
    """A structure with its main manager (the membership is returned)."""

    role = "gestionnaire_principal"


def _luhn_siret(n):
    """A valid SIRET, different for each n (never La Poste's SIREN)."""
    from stdnum import luhn

    siren = f"{(800000000 + n * 7) // 10:08d}"
    siren += luhn.calc_check_digit(siren)
    body = siren + f"{(n % 9999) + 1:04d}"
    return body + luhn.calc_check_digit(body)
