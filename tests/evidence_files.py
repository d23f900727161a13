"""Real small evidence files for tests."""

import io

from PIL import Image


def jpeg(colour=(200, 30, 30), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 120, 0)).save(out, "PNG")
    return out.getvalue()


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _pdf()
