"""Where RIB files are kept: the "private" storage, which no URL serves.

A FileField evaluates a callable storage once, when the models load. We hand it a lazy proxy
of `storages["private"]` instead of the storage itself so that a change of the STORAGES setting
(each test gets its own folder, see tests/conftest.py) is followed, as Django does for
`default_storage`.
"""

from django.core.files.storage import storages
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
