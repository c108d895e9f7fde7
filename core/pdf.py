"""Safety checks of the PDFs suppliers send (RIBs, invoices, supporting documents).

Everything is decided from the bytes, never from the file's name or announced content type. Each
caller words the refusals for what the supplier is sending (`PdfRefusals`): banking/rib.py for a
RIB, invoices/files.py for an invoice or a supporting document.

What is refused, by the reason `PdfRefusals` names (tests/core/test_pdf.py builds a file for each):

- too_large: above the caller's size; never more than one byte past it is read.
- not_pdf: no `%PDF-` at byte 0.
- damaged: pypdf, strict, cannot read it; or it has no page.
- encrypted: it needs a password (nothing else is read).
- too_complex: more than MAX_PDF_OBJECTS objects.
- too_costly: reading it would cost more than the limits below (« Ce PDF est trop complexe pour
  être lu… »).
- javascript: JavaScript anywhere: a /JS entry, a /JavaScript action, the document's JavaScript
  names tree, or a <script> in an XFA form (its /XFA stream, or any stream of its array of
  name/stream pairs; the streams are decoded and read, not only the dictionaries).
- launch: an action that starts a program (/Launch).
- outbound_action: an action that sends data out or brings a file in: /SubmitForm, /ImportData,
  /GoToR (another PDF, maybe on a network share: opening it hands the Windows credentials to
  that share), /GoToE (a file embedded in this one), an XFA <submit> or <execute>; and /URI when
  it runs by itself, from the document's /OpenAction or an /AA (« additional actions ») entry,
  /Next actions included. A link the reader clicks (/URI in an annotation's /A) is allowed: banks
  print their web address.
- rich_media: /RichMedia annotations and /RichMediaExecute actions (Flash, video, 3D, which
  bring their own scripts).
- embedded_file: any embedded file, unless the caller allows it by name: then exactly one file,
  named as allowed and not shown as an annotation (a Factur-X invoice carries its XML).

Bounded work. A 16 KB RIB whose one compressed content stream repeated `(A) Tj` 1.5 million
times, drawn by five pages, kept a web worker busy 20 to 70 s: the limits on the file's size and
on its objects count neither the operators inside a stream nor the pages that reuse it. Every
upload is now read in a child process, with two kinds of limits:

- A budget, counted while reading (a precise refusal, in milliseconds): at most
  MAX_PAGES_SCANNED pages read for their text; at most MAX_DECODED_BYTES of decompressed stream
  data read, all streams together (content streams, forms, XFA, the allowed attachment); at most
  MAX_OPERATORS content-stream operators. Before pypdf parses a page, every stream its text
  extraction may parse (its /Contents, and the forms it draws, once per drawing, as pypdf parses a
  form each time it is drawn) is decompressed and its operators counted by a regular expression,
  at C speed; a page that would go over the budget is never parsed. The budget is for the whole
  file: five pages sharing one stream cost five times.
- Hard limits, for whatever the budget does not foresee (the cross-reference table, fonts, a
  pathological object: pypdf is pure Python and cannot be interrupted from inside): the child
  has MAX_CPU_SECONDS of CPU (RLIMIT_CPU: the kernel kills it), MAX_MEMORY_BYTES of address
  space above what it starts with (RLIMIT_AS), no core file, and is killed after
  MAX_WALL_SECONDS without an answer. A child that ends without answering means « too_costly ».

Why a child process: only the kernel can stop a runaway parse in pure Python for sure, and a
process is the unit it limits. Which process: not a fork of the web worker (it would inherit its
database connections, its locks held by other threads, its open request), and not a new
interpreter per file (100 to 200 ms, before any work). Each web worker starts, on its first PDF,
a reader process (`python -c`, importing this module and nothing else: no settings, no database,
no thread); the reader forks one child per file from that clean, single-threaded state (about
10 ms), and answers in JSON (never pickle: the child has read hostile bytes). A worker checking
two files at once starts a second reader; idle readers are kept for the next files (about 30 Mo
each) and leave with their worker. Refusals are worded in the web worker, in the request's
language. (multiprocessing's fork server would do the forking, but makes every child import the
main script again: gunicorn's, or a benchmark's with WeasyPrint, 1 s per file.) The first PDF
of a worker also pays its reader's start, about 0.2 s. `sys.executable` must be the Python
interpreter: true under gunicorn, runserver and pytest; not under an embedding server (uWSGI).

The web worker never parses the upload with pypdf: only the child does. invoices/files.py pulls
a Factur-X's XML out with the factur-x library afterwards: work the child has just done, within
its limits, on the same bytes.
"""

import atexit
import io
import json
import logging
import multiprocessing
import os
import re
import resource
import signal
import socket
import subprocess  # nosec B404
import sys
import threading
import traceback
import zlib
from dataclasses import asdict, dataclass, field, fields
from multiprocessing.connection import Connection

from django.core.exceptions import ValidationError
from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

logger = logging.getLogger(__name__)

# A RIB is one page, and statements that include one put it first; an invoice says what matters
# on its first pages. Text extraction (fonts, content streams) is the costly step, so we only
# read the first pages: a RIB beyond them ends « à vérifier » by staff.
MAX_PAGES_SCANNED = 5

# Every object of the file is inspected for active content, at about 50 µs each with pypdf: a
# bank's RIB has a few dozen objects, a long statement a few thousand, while 4 Mo of tiny
# objects made on purpose would cost seconds per upload. Above this, the file is refused.
MAX_PDF_OBJECTS = 5000

# The budget of one file (see the module's docstring). A bank's RIB page decompresses to a few
# Ko and a few hundred operators, an invoice page from invoicing software to some 10 Ko and a few
# thousand; pypdf spends about 10 µs per text operator, so 100 000 operators are about 1 s.
MAX_DECODED_BYTES = 16 * 1024 * 1024
MAX_OPERATORS = 100_000

# The hard limits of the child process. A normal check takes 10 to 50 ms.
MAX_CPU_SECONDS = 3
MAX_WALL_SECONDS = 6.0
MAX_MEMORY_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class PdfRefusals:
    """What a supplier reads when a PDF is refused, worded for what they are sending (a RIB, an
    invoice…). The ValidationError codes are `<prefix>_<reason>`: rib_not_pdf, rib_damaged…"""

    prefix: str
    too_large: str
    not_pdf: str
    damaged: str
    too_complex: str
    too_costly: str
    encrypted: str
    javascript: str
    launch: str
    outbound_action: str
    rich_media: str
    embedded_file: str

    def error(self, reason):
        return ValidationError(getattr(self, reason), code=f"{self.prefix}_{reason}")


_REASONS = {refusal.name for refusal in fields(PdfRefusals)} - {"prefix"}


@dataclass(frozen=True)
class SafePdf:
    """A PDF that passed check_pdf_safety: its bytes, and what the child process read in it."""

    data: bytes
    page_count: int
    text: str  # the text of the first MAX_PAGES_SCANNED pages ("" for a scan)
    has_attachment: bool  # carries one of the allowed attachments


def check_pdf_safety(uploaded_file, *, max_size, refusals, allowed_attachments=()):
    """Read a PDF sent by a supplier and refuse it unless it is safe to open; a SafePdf.

    Refused, with `refusals`' message, for the reasons listed in the module's docstring.
    `allowed_attachments` names the files it may embed, exactly one of them and nothing else (a
    Factur-X invoice carries its XML); by default none.
    """
    data = _read_bounded(uploaded_file, max_size, refusals)
    if not data.startswith(b"%PDF-"):
        raise refusals.error("not_pdf")
    answer = _read_in_child(data, _current_limits(), tuple(allowed_attachments))
    if isinstance(answer, str):
        # The child has read hostile bytes: its answer is checked like any input.
        raise refusals.error(answer if answer in _REASONS else _TOO_COSTLY)
    return SafePdf(data, answer.page_count, answer.text, answer.has_attachment)


def _read_bounded(uploaded_file, max_size, refusals):
    """The file's bytes, never reading more than max_size + 1 of them."""
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > max_size:
        raise refusals.error("too_large")
    uploaded_file.seek(0)
    data = uploaded_file.read(max_size + 1)  # + 1: tells a file at the limit from one above
    uploaded_file.seek(0)  # the caller saves it next
    if len(data) > max_size:  # .size missing or wrong
        raise refusals.error("too_large")
    return data


# --- the child process ----------------------------------------------------------------------
#
# web worker ──(job, bytes)──▶ reader (one per check running at once, kept) ──fork──▶ child
#            ◀──(answer, JSON)──                                         ◀──(JSON)──


@dataclass(frozen=True)
class _Limits:
    pages: int
    objects: int
    decoded_bytes: int
    operators: int
    cpu_seconds: int
    wall_seconds: float
    memory_bytes: int


def _current_limits():
    # Read at each check and sent with it: the reader process imported this module once, and
    # would not see a value changed later (tests lower them).
    return _Limits(
        MAX_PAGES_SCANNED,
        MAX_PDF_OBJECTS,
        MAX_DECODED_BYTES,
        MAX_OPERATORS,
        MAX_CPU_SECONDS,
        MAX_WALL_SECONDS,
        MAX_MEMORY_BYTES,
    )


@dataclass(frozen=True)
class _Reading:
    """What the child read in a file it did not refuse."""

    page_count: int
    text: str
    has_attachment: bool


_TOO_COSTLY = "too_costly"
# Beyond its child's wall time, how long a reader may take to answer (forking, sending back).
_READER_MARGIN_SECONDS = 5.0
# The text of MAX_PAGES_SCANNED pages is far less; an answer above this is not read.
_MAX_ANSWER_BYTES = 64 * 1024 * 1024
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read_in_child(data, limits, allowed_attachments):
    """A _Reading, or the reason (a string) why the file is refused."""
    job = json.dumps({"limits": asdict(limits), "allowed": list(allowed_attachments)}).encode()
    reader = _take_reader()
    try:
        answer = json.loads(reader.ask(job, data, limits.wall_seconds + _READER_MARGIN_SECONDS))
    except (OSError, EOFError, ValueError, _ReaderLost):
        reader.stop()
        logger.warning("PDF reader process lost: the file is refused as too costly to read", exc_info=True)
        return _TOO_COSTLY
    _give_back(reader)
    if "stopped" in answer:  # the child's words: a short string, logged as data
        logger.warning("PDF check stopped (%.100s): refused as too costly to read", answer["stopped"])
    if "reason" in answer:
        return answer["reason"]
    return _Reading(int(answer["page_count"]), str(answer["text"]), bool(answer["has_attachment"]))


class _ReaderLost(Exception):
    pass


class _Reader:
    """A reader process, started with `python -c`: it imports this module and nothing of the web
    worker's (no database connection, no lock, no thread, no settings), then forks one child per
    file, from its own clean and single-threaded state."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        with theirs:
            command = f"import sys; sys.path.insert(0, {_PROJECT_ROOT!r}); import core.pdf; core.pdf._serve()"
            # Trusted arguments only: this interpreter, this command (bandit B404, B603 reviewed).
            self.process = subprocess.Popen(  # nosec B603
                [sys.executable, "-c", command, str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # Not in the worker's process group: a Ctrl-C or a signal to the group is for the
                # worker; the reader leaves when the worker's end of the socket closes.
                start_new_session=True,
            )
        self.connection = Connection(ours.detach())
        self.owner = os.getpid()

    def ask(self, job, data, timeout):
        self.connection.send_bytes(job)
        self.connection.send_bytes(data)
        if not self.connection.poll(timeout):
            raise _ReaderLost("no answer in time")
        return self.connection.recv_bytes(_MAX_ANSWER_BYTES)

    def usable(self):
        # A web worker forked from a process that had readers does not share them.
        return self.owner == os.getpid() and self.process.poll() is None

    def stop(self):
        self.connection.close()  # the reader reads the end of its input, and leaves
        if self.owner == os.getpid():
            try:
                self.process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_idle_readers = []
_idle_readers_lock = threading.Lock()


def _take_reader():
    with _idle_readers_lock:
        while _idle_readers:
            reader = _idle_readers.pop()
            if reader.usable():
                return reader
    return _Reader()


def _give_back(reader):
    with _idle_readers_lock:
        _idle_readers.append(reader)


@atexit.register
def _stop_readers():
    with _idle_readers_lock:
        readers = [reader for reader in _idle_readers if reader.owner == os.getpid()]
        _idle_readers.clear()
    for reader in readers:
        reader.stop()


def _serve():
    """The reader process: for each job of the web worker, fork a child that reads the file."""
    connection = Connection(int(sys.argv[1]))
    # pypdf imports and builds much on first use (text extraction, fonts, filters): done once here,
    # on a file made here, rather than in every child. Halves the time of a child.
    _read(_warm_up_pdf(), _current_limits(), ())
    "".encode("utf-16-be")  # the codec of PDF text strings with a byte order mark
    while True:
        try:
            job = json.loads(connection.recv_bytes())
            data = connection.recv_bytes()
        except EOFError:  # the web worker closed its end, or left
            return
        answer, child = _answer_from_child(data, _Limits(**job["limits"]), tuple(job["allowed"]), connection)
        connection.send_bytes(answer)
        if child is not None:
            os.waitpid(child, 0)  # after answering: a child takes a few ms to give its memory back


def _warm_up_pdf():
    """A one-page PDF with a line of compressed text in Helvetica: what every RIB has."""
    content = zlib.compress(b"BT /F1 11 Tf 50 790 Td (Titulaire du compte : Ville de Grenoble) Tj ET")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out, offsets = bytearray(b"%PDF-1.7\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _answer_from_child(data, limits, allowed_attachments, reader_connection):
    """The child's answer (JSON), and its pid when it is still to be reaped."""
    receiver, sender = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: limited, then reads; it never returns into the reader's loop
        status = 1
        try:
            receiver.close()
            reader_connection.close()  # only the reader talks to the web worker
            _limit_resources(limits)
            sender.send_bytes(_child_answer(data, limits, allowed_attachments))
            status = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(status)
    sender.close()
    try:
        answer = receiver.recv_bytes() if receiver.poll(limits.wall_seconds) else None
    except (EOFError, OSError):  # it died without answering: its CPU or memory limit, or a crash
        answer = None
    finally:
        receiver.close()
    if answer is not None:
        return answer, pid
    # Past its wall time, whatever it is doing (if it already died, this changes nothing: it is
    # not reaped yet, so its pid cannot be another process's).
    os.kill(pid, signal.SIGKILL)
    _pid, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"
    return json.dumps({"reason": _TOO_COSTLY, "stopped": f"the child was {how}"}).encode(), None


def _child_answer(data, limits, allowed_attachments):
    try:
        reading = _read(data, limits, allowed_attachments)
    except _Refused as refusal:
        answer = {"reason": refusal.reason}
        if refusal.stopped:
            answer["stopped"] = refusal.stopped
        return json.dumps(answer).encode()
    except MemoryError:
        return json.dumps({"reason": _TOO_COSTLY, "stopped": "its memory limit"}).encode()
    except LimitReachedError:
        return json.dumps({"reason": _TOO_COSTLY, "stopped": "a limit of pypdf"}).encode()
    return json.dumps(asdict(reading), ensure_ascii=False).encode()


def _limit_resources(limits):
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed child writes no core file
    # The soft limit sends SIGXCPU, which ends the process; the hard one, a second later, SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    in_use = _address_space()
    if in_use is not None:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = in_use + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))


def _address_space():
    """Bytes of address space in use (Linux): the limit is added to what the child starts with."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class _Refused(Exception):  # noqa: N818 (a reason, not an error)
    def __init__(self, reason, stopped=None):
        super().__init__(reason)
        self.reason = reason
        self.stopped = stopped  # for the log: which limit stopped the reading


def _read(data, limits, allowed_attachments):
    """In the child: refuse the file (_Refused) or read it (_Reading)."""
    # pypdf raises many kinds of exceptions on malformed input (its own, but also ValueError,
    # KeyError, zlib errors…): for an untrusted upload any of them means « damaged ».
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        encrypted = reader.is_encrypted
    except (MemoryError, LimitReachedError):
        raise
    except Exception:
        raise _Refused("damaged") from None
    if encrypted:
        # Checked before touching any object: they cannot be read without the password.
        raise _Refused("encrypted")
    references = _object_references(reader)
    if len(references) > limits.objects:
        raise _Refused("too_complex")
    budget = _Budget(limits)
    try:
        page_count = len(reader.pages)
        scan = _active_content(reader, references, budget)
    except (_Refused, MemoryError, LimitReachedError):
        raise
    except Exception:
        raise _Refused("damaged") from None
    if page_count == 0:
        raise _Refused("damaged")
    if _EMBEDDED_FILE in scan.kinds and scan.only_attachment(allowed_attachments):
        scan.kinds.discard(_EMBEDDED_FILE)
        has_attachment = True
        _read_attachments(reader, budget)
    else:
        has_attachment = False
    for kind in _REFUSED_KINDS:
        if kind in scan.kinds:
            raise _Refused(kind)
    return _Reading(page_count, _first_pages_text(reader, page_count, budget), has_attachment)


# --- the budget -----------------------------------------------------------------------------


# The tokens of a content stream, enough to tell operators from operands: comments, strings
# (one level of nested parentheses), hex strings and names are skipped whole, so that the words
# they hold are not counted. Bare words are numbers, keywords and operators.
_CONTENT_TOKEN = re.compile(
    rb"%[^\r\n]*"
    rb"|\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)"
    rb"|<<|>>|<[0-9A-Fa-f\s]*>"
    rb"|/[^\s()<>\[\]{}/%]*"
    rb"|[^\s()<>\[\]{}/%]+",
    re.DOTALL,
)
_NOT_OPERATORS = {b"true", b"false", b"null"}
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

# Forms drawn inside forms: deeper than this, pypdf's own limits and the CPU limit take over.
_MAX_FORM_DEPTH = 12


@dataclass
class _StreamCost:
    decoded_bytes: int
    operators: int  # at most the budget's + 1: counting stops there
    drawn: list  # the names given to `Do`, in order, once per drawing


class _Budget:
    def __init__(self, limits):
        self.limits = limits
        self.decoded_bytes = 0
        self.operators = 0
        self._costs = {}  # id(stream) -> _StreamCost: each stream is decoded and counted once

    def decode(self, stream):
        """A stream's decompressed data, counted against the budget."""
        data = stream.get_data()  # pypdf keeps it: the parse that follows does not decode again
        self._spend(len(data), 0)
        return data

    def _spend(self, decoded_bytes, operators):
        self.decoded_bytes += decoded_bytes
        self.operators += operators
        if self.decoded_bytes > self.limits.decoded_bytes or self.operators > self.limits.operators:
            raise _Refused(_TOO_COSTLY, stopped="its budget of decoded bytes and operators")

    def spend_on_page(self, page):
        """Count what extracting `page`'s text may parse, before pypdf parses it."""
        resources = _resolved(page.get("/Resources"))
        contents = _resolved(page.get("/Contents"))
        streams = [_resolved(item) for item in contents] if isinstance(contents, ArrayObject) else [contents]
        for stream in streams:
            if isinstance(stream, StreamObject):
                self._spend_on_stream(stream, resources, depth=0, drawing=frozenset())

    def _spend_on_stream(self, stream, resources, depth, drawing):
        cost = self._cost(stream)
        # At least one per stream read: forms that draw forms that draw nothing still cost.
        self._spend(cost.decoded_bytes, max(cost.operators, 1))
        if depth >= _MAX_FORM_DEPTH or not cost.drawn:
            return
        xobjects = _resolved(resources.get("/XObject")) if isinstance(resources, DictionaryObject) else None
        if not isinstance(xobjects, DictionaryObject):
            return
        for name in cost.drawn:
            form = _resolved(xobjects.get(name))
            # pypdf skips a form already being drawn (a cycle); images are not parsed.
            if isinstance(form, StreamObject) and form.get("/Subtype") != "/Image" and id(form) not in drawing:
                form_resources = _resolved(form.get("/Resources"))
                self._spend_on_stream(form, form_resources, depth + 1, drawing | {id(form)})

    def _cost(self, stream):
        key = id(stream)
        if key not in self._costs:
            data = stream.get_data()
            if len(data) > self.limits.decoded_bytes - self.decoded_bytes:
                raise _Refused(_TOO_COSTLY)  # without scanning megabytes for operators first
            self._costs[key] = _StreamCost(len(data), *self._count_operators(data))
        return self._costs[key]

    def _count_operators(self, data):
        cap = self.limits.operators - self.operators + 1  # enough to know the budget is spent
        operators, drawn, previous = 0, [], b""
        for match in _CONTENT_TOKEN.finditer(data):
            token = match.group()
            if token[:1].isalpha() or token[:1] in (b"'", b'"'):
                if token in _NOT_OPERATORS:
                    continue
                operators += 1
                if token == b"Do" and previous[:1] == b"/":
                    drawn.append(_name(previous))
                if operators >= cap:
                    break
            previous = token
        return operators, drawn


def _name(token):
    """The name a content stream writes /Im#201 as pypdf reads it: "/Im 1"."""
    raw = _NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), token)
    return NameObject(raw.decode("utf-8", "replace"))


def _first_pages_text(reader, page_count, budget):
    # The whole budget first: a file over it is refused before any page is parsed.
    pages = []
    for index in range(min(page_count, budget.limits.pages)):
        try:
            page = reader.pages[index]
            budget.spend_on_page(page)
            pages.append(page)
        except (_Refused, MemoryError, LimitReachedError):
            raise
        except Exception:  # nosec B112
            # The file passed the structural checks; a page whose content cannot be decoded has no
            # text to give, and is left to the staff's eyes (« à vérifier »): not refused.
            continue
    texts = []
    for page in pages:
        try:
            texts.append(page.extract_text())
        except (_Refused, MemoryError, LimitReachedError):
            raise
        except Exception:  # nosec B112
            # Same: a page whose text pypdf cannot read (bandit B112 reviewed).
            continue
    return "\n".join(texts)


def _read_attachments(reader, budget):
    """Decode the allowed attachment (counted), as the caller's extraction will do next."""
    try:
        for attachment in reader.attachment_list:
            budget._spend(len(attachment.content), 0)
    except (_Refused, MemoryError, LimitReachedError):
        raise
    except Exception:  # nosec B110
        pass  # the caller's extraction fails the same way, and says the XML is unreadable


# --- active content -------------------------------------------------------------------------


_JAVASCRIPT, _LAUNCH, _OUTBOUND, _RICH_MEDIA, _EMBEDDED_FILE = (
    "javascript",
    "launch",
    "outbound_action",
    "rich_media",
    "embedded_file",
)
# In this order when a file holds several.
_REFUSED_KINDS = (_JAVASCRIPT, _LAUNCH, _OUTBOUND, _RICH_MEDIA, _EMBEDDED_FILE)

# Actions refused wherever they are, even behind a click.
_OUTBOUND_ACTIONS = {"/SubmitForm", "/ImportData", "/GoToR", "/GoToE"}
# In an XFA form (XML): scripts (JavaScript or FormCalc), and what submits or calls out.
_XFA_SCRIPT = re.compile(rb"<\s*(?:[\w.-]+:)?script\b", re.IGNORECASE)
_XFA_OUTBOUND = re.compile(rb"<\s*(?:[\w.-]+:)?(?:submit|execute)\b", re.IGNORECASE)
# /Next chains of automatic actions: longer than this, the rest is not followed (and the file
# has other problems).
_MAX_ACTION_CHAIN = 100


def _object_references(reader):
    """(number, generation) of every object in the cross-reference table(s)."""
    references = [(number, generation) for generation, numbers in reader.xref.items() for number in numbers]
    return references + [(number, 0) for number in reader.xref_objStm]


def _resolved(value):
    # A value may sit behind an indirect reference, to hide it from naive scans.
    return value.get_object() if isinstance(value, IndirectObject) else value


@dataclass
class _Scan:
    budget: _Budget
    kinds: set = field(default_factory=set)
    # Names given by the file specifications that embed a file (/F, /UF; "" when unnamed), the
    # object numbers of the embedded file streams, and whether an annotation shows one.
    attachment_names: set = field(default_factory=set)
    embedded_streams: set = field(default_factory=set)
    attachment_annotation: bool = False

    def only_attachment(self, allowed):
        """Whether the only embedded file is one of `allowed` (names), once."""
        allowed = {name.lower() for name in allowed}
        return bool(
            allowed
            and not self.attachment_annotation
            and len(self.attachment_names) == 1
            and {name.lower() for name in self.attachment_names} <= allowed
            and len(self.embedded_streams) == 1
        )


def _active_content(reader, references, budget):
    """What active content any object of the file holds (a _Scan).

    Every object in the cross-reference table is inspected, rather than the places a viewer
    looks (names tree, open action, page and annotation actions, outlines, form fields…): that
    list is long and easy to get incomplete, while a RIB has few objects. Dictionaries are read,
    and the streams that hold code (XFA forms) decoded.
    """
    scan = _Scan(budget)
    for number, generation in references:
        stack = [reader.get_object(IndirectObject(number, generation, reader))]
        while stack:  # direct objects nested in this one; indirect ones are visited on their own
            obj = stack.pop()
            if isinstance(obj, DictionaryObject):
                _scan_dictionary(obj, number, scan)
                stack.extend(value for value in obj.values() if isinstance(value, (DictionaryObject, ArrayObject)))
            elif isinstance(obj, ArrayObject):
                stack.extend(item for item in obj if isinstance(item, (DictionaryObject, ArrayObject)))
    return scan


def _scan_dictionary(dictionary, number, scan):
    def name(key):
        return _resolved(dictionary.get(key))

    action = name("/S")
    if "/JS" in dictionary or "/JavaScript" in dictionary or action == "/JavaScript":
        scan.kinds.add(_JAVASCRIPT)  # a JavaScript action, or the names tree of document scripts
    if action == "/Launch":
        scan.kinds.add(_LAUNCH)
    if action in _OUTBOUND_ACTIONS:
        scan.kinds.add(_OUTBOUND)
    if action == "/RichMediaExecute" or name("/Subtype") == "/RichMedia" or "/RichMediaContent" in dictionary:
        scan.kinds.add(_RICH_MEDIA)
    if "/OpenAction" in dictionary and _opens_an_address(name("/OpenAction")):
        scan.kinds.add(_OUTBOUND)
    if "/AA" in dictionary:
        triggers = name("/AA")
        if isinstance(triggers, DictionaryObject) and any(_opens_an_address(t) for t in triggers.values()):
            scan.kinds.add(_OUTBOUND)
    if "/XFA" in dictionary:
        _scan_xfa(name("/XFA"), scan)
    if name("/Subtype") == "/FileAttachment":
        scan.kinds.add(_EMBEDDED_FILE)
        scan.attachment_annotation = True
    if name("/Type") == "/EmbeddedFile":
        scan.kinds.add(_EMBEDDED_FILE)
        scan.embedded_streams.add(number)
    if "/EmbeddedFiles" in dictionary:
        scan.kinds.add(_EMBEDDED_FILE)
    if "/EF" in dictionary:
        scan.kinds.add(_EMBEDDED_FILE)
        scan.attachment_names |= {str(name(key)) for key in ("/F", "/UF") if name(key) is not None} or {""}
        streams = name("/EF")
        for value in streams.values() if isinstance(streams, DictionaryObject) else [streams]:
            scan.embedded_streams.add(value.idnum if isinstance(value, IndirectObject) else id(value))


def _opens_an_address(action):
    """Whether an action that runs by itself (or one of its /Next actions) opens a URI."""
    pending, seen = [action], 0
    while pending and seen < _MAX_ACTION_CHAIN:
        action = _resolved(pending.pop())
        seen += 1
        if isinstance(action, ArrayObject):
            pending.extend(action)
        elif isinstance(action, DictionaryObject):
            if _resolved(action.get("/S")) == "/URI":
                return True
            if "/Next" in action:
                pending.append(action["/Next"])
    return False


def _scan_xfa(xfa, scan):
    """An XFA form is XML, in one stream or in an array of (name, stream) pairs: read it."""
    parts = xfa if isinstance(xfa, ArrayObject) else [xfa]
    for part in parts:
        stream = _resolved(part)
        if not isinstance(stream, StreamObject):
            continue
        xml = scan.budget.decode(stream)
        if b"\x00" in xml:  # UTF-16: the markup's letters are one byte in two
            xml = xml.replace(b"\x00", b"")
        if _XFA_SCRIPT.search(xml):
            scan.kinds.add(_JAVASCRIPT)
        if _XFA_OUTBOUND.search(xml):
            scan.kinds.add(_OUTBOUND)
