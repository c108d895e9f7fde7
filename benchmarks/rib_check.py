"""How long check_rib takes on a RIB close to the 4096 Ko limit.

The PDF is what a bank's web site gives: a text page (HTML rendered by WeasyPrint, embedded
font, the IBAN in groups of 4) with a large photo-like JPEG (noise, which does not compress)
sized so that the file is just under 4 Mo. Target: median well under 500 ms.

    .venv/bin/python benchmarks/rib_check.py
"""

import base64
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from PIL import Image  # noqa: E402
from weasyprint import HTML  # noqa: E402

from banking.rib import MAX_RIB_SIZE, RibStatus, check_rib  # noqa: E402

IBAN = "FR76 3000 6000 0112 3456 7890 189"
TARGET_SIZE = MAX_RIB_SIZE - 64 * 1024  # just under the limit, whatever WeasyPrint adds


def noise_jpeg(side):
    rng = random.Random(42)  # same file on every run
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def rib_pdf(jpeg):
    src = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    html = f"""<!doctype html><html lang="fr"><head><meta charset="utf-8"><style>
      body {{ font-family: sans-serif; font-size: 10pt; }} img {{ width: 6cm; }}
      td, th {{ border: 1px solid #444; padding: 4px 8px; }}
    </style></head><body>
      <img src="{src}" alt="">
      <h1>Relevé d'identité bancaire</h1>
      <p>Titulaire : SARL LES ATELIERS DU DRAC<br>12 rue des Alliés, 38100 Grenoble</p>
      <table><tr><th>Code banque</th><th>Code guichet</th><th>N° de compte</th><th>Clé RIB</th></tr>
        <tr><td>30006</td><td>00001</td><td>12345678901</td><td>89</td></tr></table>
      <p><strong>IBAN</strong> {IBAN}</p><p><strong>BIC</strong> AGRIFRPP881</p>
    </body></html>"""
    return HTML(string=html).write_pdf()


def build_pdf():
    # JPEG size grows with the square of the side: two corrections land close to the target.
    side = 1000
    for _attempt in range(3):
        data = rib_pdf(noise_jpeg(side))
        side = int(side * (TARGET_SIZE / len(data)) ** 0.5)
    while len(data) > MAX_RIB_SIZE:
        side -= 10
        data = rib_pdf(noise_jpeg(side))
    return data


def timed_runs(data, runs):
    durations = []
    for _run in range(runs):
        upload = SimpleUploadedFile("rib.pdf", data, content_type="application/pdf")
        start = time.perf_counter()
        result = check_rib(upload, typed_iban=IBAN)
        durations.append(time.perf_counter() - start)
        assert result.status == RibStatus.IBAN_FOUND, result
    return durations


def main():
    data = build_pdf()
    print(f"PDF: {len(data)} bytes ({len(data) / 1024:.0f} Ko, limit {MAX_RIB_SIZE // 1024} Ko)")
    for runs in (5, 20):
        durations = timed_runs(data, runs)
        print(
            f"check_rib, {runs} runs: median {statistics.median(durations) * 1000:.1f} ms, "
            f"max {max(durations) * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
