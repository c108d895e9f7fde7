"""Private temporary storage for the files a supplier sends while the wizard is not finished."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class WizardFileStorage(FileSystemStorage):
    """`PRIVATE_MEDIA_ROOT/wizard/`, read from the settings each time (tests change them).

    formtools deletes a wizard's files when it ends; `manage.py purge_wizard_files` removes
    those of abandoned wizards.
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
