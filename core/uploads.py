"""Uploads are read no further than their page's limit (first of settings.FILE_UPLOAD_HANDLERS).

Django reads a whole multipart body before the view sees it: a 200 MB « RIB » was read, and
written to a temporary file, before the form refused it for being over 4096 Ko. Here each file's
bytes are counted as they arrive, against the limit its page declares (`upload_limit` on the
view: a size per file, a number of files; a page that declares none takes no file):

- a file over its limit is refused: its bytes are no longer kept, only counted, for at most
  SLACK more, so that the fields after it in the form still arrive (what was typed is kept);
- past that, or past the page's total, the body is not read any further (StopUpload, without
  reading the rest): the refusal comes after about the limit, not after the whole body.

The form then finds, in the file's place, a stand-in of the size counted (more than the limit,
no content): its usual size check refuses it with its usual message (« Le fichier dépasse la
taille maximale… »). Fields the browser sent after a file cut short are lost; a reverse proxy's
body size limit (nginx's client_max_body_size) is the outer guard.
"""

import io
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http.multipartparser import MultiPartParser

# What a file over its limit may still be read for, to reach the fields after it.
SLACK = 1024 * 1024


@dataclass(frozen=True)
class UploadLimit:
    max_size: int  # bytes per file
    max_files: int = 1  # the page's total is max_size × max_files

    @property
    def total(self):
        return self.max_size * self.max_files


# A page that declares no limit takes no file: one is refused at its first byte.
NO_UPLOAD = UploadLimit(max_size=0, max_files=0)


def upload_limit(max_size, *, max_files=1):
    """Declare what a view's page takes: files of at most `max_size` bytes, `max_files` of them.
    Put it outermost (the URL resolver's view is the one that must carry it)."""

    def declare(view):
        view.upload_limit = UploadLimit(max_size, max_files)
        return view

    return declare


def limit_of(request):
    match = getattr(request, "resolver_match", None)
    return getattr(match.func, "upload_limit", NO_UPLOAD) if match is not None else NO_UPLOAD


class TooLargeUpload(UploadedFile):
    """A file refused while it was read: its name and the bytes counted (more than the limit);
    no content."""

    def __init__(self, name, content_type, size, charset=None, content_type_extra=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset, content_type_extra)


class UploadLimitHandler(FileUploadHandler):
    def __init__(self, request=None):
        super().__init__(request)
        self.limit = limit_of(request)
        self.read = 0  # bytes of files read from this request's body
        self.refused = None  # the TooLargeUpload of the file being read, once over its limit
        self.stand_ins = []  # (field name, TooLargeUpload), in order
        self._parsing = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        """Django's own parsing, with this handler counting, then the stand-ins of the files
        cut short (the parser drops a file it stopped reading)."""
        if self._parsing:
            return None
        self._parsing = True
        post, files = MultiPartParser(META, input_data, self.request.upload_handlers, encoding).parse()
        for field_name, stand_in in self.stand_ins:
            if not any(kept is stand_in for kept in files.getlist(field_name)):
                files.appendlist(field_name, stand_in)
        return post, files

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self.refused = None

    def receive_data_chunk(self, raw_data, start):
        self.read += len(raw_data)
        end = start + len(raw_data)
        if self.refused is None and (end > self.limit.max_size or self.read > self.limit.total):
            self.refused = TooLargeUpload(self.file_name, self.content_type, 0, self.charset, self.content_type_extra)
            self.stand_ins.append((self.field_name, self.refused))
        if self.refused is None:
            return raw_data
        # The bytes counted; one refused for the page's total counts as over its own limit too.
        self.refused.size = max(end, self.limit.max_size + 1)
        if end > self.limit.max_size + SLACK or self.read > self.limit.total + SLACK:
            raise StopUpload(connection_reset=True)  # the rest of the body is not read
        return None  # counted, not kept: the next handlers get nothing more of this file

    def file_complete(self, file_size):
        # The next handler (memory, or a temporary file) gives a file that was not refused; the
        # part of a refused one they received goes with them at the end of the request.
        return self.refused
