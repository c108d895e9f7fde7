"""Where supplier files are kept: the "private" storage, which no URL serves, and the private
temporary storage of files sent before what they belong to exists (a wizard, a deposit).

RIB files, invoices and signed mandates go to the private storage. A FileField evaluates a
callable storage once, when the models load. We hand it a lazy proxy
of `storages["private"]` instead of the storage itself so that a change of the STORAGES setting
(each test gets its own folder, see tests/conftest.py) is followed, as Django does for
`default_storage`.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class PrivateStorage(LazyObject):
    def _setup(self):
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


def get_private_storage():
    """The FileField's callable storage (migrations reference this function, not an instance)."""
    return private_storage


@receiver(setting_changed)
def _reset_private_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        private_storage._wrapped = empty


class WizardFileStorage(FileSystemStorage):
    """`PRIVATE_MEDIA_ROOT/wizard/`, read from the settings each time (tests change them).

    formtools deletes a wizard's files when it ends, a deposit its file at its second step;
    `manage.py purge_wizard_files` removes those of abandoned wizards and deposits.
    """

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return os.path.join(settings.PRIVATE_MEDIA_ROOT, "wizard")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


wizard_file_storage = WizardFileStorage()
