import os
import time

from django.core.files.base import ContentFile
from django.core.management import call_command

from core.storage import wizard_file_storage


def test_it_removes_only_the_files_older_than_a_day(private_media, capsys):
    old = wizard_file_storage.save("old.pdf", ContentFile(b"%PDF-old"))
    recent = wizard_file_storage.save("recent.pdf", ContentFile(b"%PDF-new"))
    assert wizard_file_storage.path(old).startswith(str(private_media / "wizard"))
    two_days_ago = time.time() - 48 * 3600
    os.utime(wizard_file_storage.path(old), (two_days_ago, two_days_ago))
    call_command("purge_wizard_files")
    assert not wizard_file_storage.exists(old)
    assert wizard_file_storage.exists(recent)
    assert "1 abandoned wizard file(s) removed." in capsys.readouterr().out
