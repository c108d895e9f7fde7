from django import forms
from django.utils.translation import gettext_lazy as _

from . import texts

# The seed's wording, « utilisations » included: suppliers compare it with the procedure.
CONSENT_LABEL = _(
    "Je confirme avoir pris connaissance du mandat ainsi que des conditions générales d'utilisations du portail"
)
MSG_CONSENT_REQUIRED = _(
    "Cochez la case pour confirmer avoir pris connaissance du mandat et des conditions générales "
    "d'utilisation avant de signer."
)
MSG_DOCUMENT_CHANGED = _(
    "Le mandat affiché ne correspond plus au mandat enregistré : rechargez la page et relisez-le avant de signer."
)


def mandate_blocks(structure, signatory):
    """The « Structure » and « Signataire » blocks: read only, from the earlier stages."""
    parties = texts.parties(structure, signatory)
    return [
        (
            _("Structure"),
            [
                (_("Raison sociale"), parties["raison_sociale"]),
                (_("Type d'identifiant"), parties["identifier_type"]),
                (_("Identifiant"), parties["identifier"]),
                (_("Adresse"), ", ".join(parties["address_lines"])),
            ],
        ),
        (
            _("Signataire"),
            [
                (_("Nom"), signatory.last_name),
                (_("Prénom"), signatory.first_name),
                (_("Adresse électronique de connexion"), signatory.email),
                (_("Qualité"), _("Gestionnaire principal")),
            ],
        ),
    ]


class MandateGenerationForm(forms.Form):
    """The wizard's last step, « Souscription d'un mandat de facturation »: nothing to type.

    The « Structure » and « Signataire » blocks are shown from the earlier steps (the seed:
    pre-filled, not editable); « Générer » finishes the wizard.
    """


class SignForm(forms.Form):
    """« Signer le mandat »: the consent box, and the fingerprint of the text the page showed.

    The fingerprint binds the signature to what this page displayed: a form posted from
    another page (or tampered with) does not sign.
    """

    consent = forms.BooleanField(label=CONSENT_LABEL, error_messages={"required": MSG_CONSENT_REQUIRED})
    document_sha256 = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, mandate, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected_sha256 = mandate.compute_document_sha256()
        self.fields["document_sha256"].initial = self.expected_sha256

    def clean(self):
        cleaned_data = super().clean()
        # A form-wide error: the hidden field has no place on the page to show one.
        if cleaned_data.get("document_sha256") != self.expected_sha256:
            raise forms.ValidationError(MSG_DOCUMENT_CHANGED)
        return cleaned_data


class StructureChoiceForm(forms.Form):
    """Which structure, for a main manager of several; sent by GET as `?structure=`."""

    structure = forms.ModelChoiceField(label=_("Structure"), queryset=None, empty_label=None)

    def __init__(self, *args, structures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
