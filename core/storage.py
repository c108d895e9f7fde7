"""Where supplier files are kept: the "private" storage, which no URL serves, and the private
temporary storage of files sent before what they belong to exists (a wizard, a deposit).

Both follow the "private" storage of settings.STORAGES: a local folder (PRIVATE_MEDIA_ROOT, which
may be shared by several machines) or an S3-compatible object store (PRIVATE_STORAGE_URL, see
core/s3.py); the wizard's files then sit beside the others, under `wizard/`.

RIB files, invoices and signed mandates go to the private storage. A FileField evaluates a
callable storage once, when the models load. We hand it a lazy proxy
of `storages["private"]` instead of the storage itself so that a change of the STORAGES setting
(each test gets its own folder, see tests/conftest.py) is followed, as Django does for
`default_storage`.
"""

import functools
import os
import posixpath
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone
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
        _remote_wizard_storage.cache_clear()


@functools.cache
def _remote_wizard_storage():
    """`wizard/` in the object store, when the private storage is one (not a local folder)."""
    if isinstance(storages["private"], FileSystemStorage):
        return None
    private = settings.STORAGES["private"]
    options = dict(private.get("OPTIONS", {}))
    options["location"] = posixpath.join(options.get("location", ""), "wizard")
    return storages.create_storage({**private, "OPTIONS": options})


def _or_remote(name):
    local = getattr(FileSystemStorage, name)

    @functools.wraps(local)
    def method(self, *args, **kwargs):
        remote = _remote_wizard_storage()
        return local(self, *args, **kwargs) if remote is None else getattr(remote, name)(*args, **kwargs)

    return method


class WizardFileStorage(FileSystemStorage):
    """`wizard/` in the private storage: `PRIVATE_MEDIA_ROOT/wizard/` (read from the settings each
    time: tests change them), or `wizard/` in the object store when PRIVATE_STORAGE_URL is set. A
    wizard's second page may be served by another machine than its first: these files must be
    shared as much as the others.

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

    _open = _or_remote("_open")
    _save = _or_remote("_save")
    delete = _or_remote("delete")
    exists = _or_remote("exists")
    listdir = _or_remote("listdir")
    size = _or_remote("size")
    url = _or_remote("url")
    path = _or_remote("path")  # an object store has none: NotImplementedError, as Django's storages say
    get_modified_time = _or_remote("get_modified_time")


wizard_file_storage = WizardFileStorage()


def _files_under(storage, folder=""):
    directories, files = storage.listdir(folder)
    for name in files:
        yield posixpath.join(folder, name) if folder else name
    for directory in directories:
        yield from _files_under(storage, posixpath.join(folder, directory) if folder else directory)


def purge_wizard_files(hours=24):
    """Remove the files of abandoned wizards and deposits older than `hours`; how many.

    Through the storage's API, local folder or object store alike. Safe on two machines at
    once: a file the other one removed first is skipped."""
    cutoff = timezone.now() - timedelta(hours=hours)
    storage = wizard_file_storage
    try:
        names = list(_files_under(storage))
    except FileNotFoundError:  # no wizard ever kept a file here
        return 0
    removed = 0
    for name in names:
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue
        except (FileNotFoundError, OSError):
            continue  # removed meanwhile
        storage.delete(name)
        removed += 1
    return removed
