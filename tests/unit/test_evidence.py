"""The evidence rules (buildingblocks.evidence), no servers: type by content, limits, refusals naming the file and
the reason, the location blanked losslessly (JPEG, PNG, WebP) unless kept, thumbnails, names."""
from __future__ import annotations

import asyncio
import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image

from buildingblocks import evidence as ev
from buildingblocks.evidence import EvidenceRefused

GPS = {1: "N", 2: (34.0, 36.0, 12.5), 3: "E", 4: (108.0, 56.0, 3.25)}
# 12.5 and 3.25 seconds as the TIFF rationals Pillow writes: their bytes must not survive the stripping.
GPS_SECONDS = {"<": struct.pack("<II", 25, 2), ">": struct.pack(">II", 25, 2)}


def photo(fmt: str = "JPEG", gps: bool = True, size=(640, 480), orientation: int = 1, xmp: bytes = b"") -> bytes:
    image = Image.effect_noise(size, 50).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "HUAWEI"
    exif[0x0112] = orientation
    if gps:
        exif[0x8825] = GPS
    out = io.BytesIO()
    extra = {"xmp": xmp} if xmp else {}
    image.save(out, fmt, exif=exif.tobytes(), quality=90, **extra)
    return out.getvalue()


def exif_of(data: bytes) -> Image.Exif:
    with Image.open(io.BytesIO(data)) as image:
        return image.getexif()


def pixels(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB").tobytes()


def office(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in names:
            z.writestr(n, "<x/>")
    return out.getvalue()


def refused(name, data) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as caught:
        ev.prepare(name, data)
    return caught.value


# --- what a file is -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt, kind", [("JPEG", ev.JPEG), ("PNG", ev.PNG), ("WEBP", ev.WEBP)])
def test_photos_are_known_by_their_magic_bytes_whatever_their_name(fmt, kind):
    assert ev.sniff("x.pdf", photo(fmt)) is kind


def test_documents_are_known_by_their_content():
    assert ev.sniff("a", b"%PDF-1.7\n...") is ev.PDF
    assert ev.sniff("a", b"\xef\xbb\xbf\r\n%PDF-1.4") is ev.PDF  # a BOM or blank lines before the header
    assert ev.sniff("a", office("[Content_Types].xml", "word/document.xml")) is ev.DOCX
    assert ev.sniff("a", office("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml")) is ev.XLSX


def test_a_real_workbook_is_xlsx():
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    assert ev.prepare("台账.xlsx", out.getvalue()).kind is ev.XLSX


@pytest.mark.parametrize("content, what", [
    (b"\x7fELF\x02\x01\x01" + bytes(100), "ELF"),
    (b"MZ\x90\x00" + bytes(100), "Windows executable"),
    (b"#!/bin/bash\necho hi\n", "script"),
    (b"\xcf\xfa\xed\xfe" + bytes(100), "Mach-O"),
])
def test_executables_are_refused_415_saying_what_they_are(content, what):
    r = refused("照片.jpg", content)
    assert (r.status, r.reason, r.file) == (415, "executable", "照片.jpg")
    assert what in str(r) and "never accepted" in str(r) and str(r).startswith("照片.jpg: ")


def test_other_types_are_refused_415_with_the_allow_list():
    for content in (b"<html><script>", b"GIF89a....", b"\x00\x00\x01\x00icon", office("readme.txt")):
        r = refused("x", content)
        assert (r.status, r.reason) == (415, "type_not_allowed")
        assert r.detail["allowed"] == ["JPEG", "PNG", "WebP", "PDF", "DOCX", "XLSX"]


def test_an_office_document_with_macros_is_refused():
    r = refused("宏.docm", office("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin"))
    assert (r.status, r.reason) == (415, "macros")


def test_empty_broken_and_too_large():
    assert (refused("a.jpg", b"").status, refused("a.jpg", b"").reason) == (422, "empty")
    broken = refused("a.jpg", b"\xff\xd8\xff\xe0" + bytes(50))
    assert (broken.status, broken.reason) == (422, "unreadable")
    zip_ = refused("a.docx", b"PK\x03\x04garbage")
    assert (zip_.status, zip_.reason) == (422, "unreadable")
    big = refused("扫描.pdf", b"%PDF-" + bytes(ev.MAX_BYTES))
    assert (big.status, big.reason, big.file) == (413, "too_large", "扫描.pdf") and "20 MB" in str(big)
    assert ev.sniff("ok.pdf", b"%PDF-" + bytes(ev.MAX_BYTES - 5)) is ev.PDF  # exactly the limit is fine


def test_an_image_claiming_too_many_pixels_is_refused_before_it_is_decoded():
    small = io.BytesIO()
    Image.new("L", (10, 10)).save(small, "PNG")
    data = bytearray(small.getvalue())
    struct.pack_into(">II", data, 16, 10_000, 10_000)  # IHDR's width and height: 100 megapixels
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    r = refused("全景.png", bytes(data))
    assert (r.status, r.reason) == (422, "too_many_pixels")


def test_a_jpeg_that_is_really_a_png_inside_is_refused():
    r = refused("a.jpg", b"\xff\xd8\xff" + photo("PNG"))
    assert r.status in (415, 422)


# --- location ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_the_location_is_blanked_and_nothing_else_changes(fmt):
    original = photo(fmt)
    assert dict(exif_of(original).get_ifd(0x8825)) == GPS
    p = ev.prepare("a", original)
    assert p.location_removed and not p.location_kept
    assert dict(exif_of(p.data).get_ifd(0x8825)) == {}
    assert exif_of(p.data)[0x010F] == "HUAWEI"  # the rest of the EXIF stays
    assert len(p.data) == len(original) and pixels(p.data) == pixels(original)  # lossless: in place
    order = "<" if b"II*\x00" in original else ">"
    assert GPS_SECONDS[order] in original and GPS_SECONDS[order] not in p.data
    assert p.sha256 == ev.sha256(p.data) != p.uploaded_sha256 == ev.sha256(original)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_kept_on_purpose_the_photo_is_stored_as_uploaded(fmt):
    original = photo(fmt)
    p = ev.prepare("a", original, keep_location=True)
    assert p.data == original and p.location_kept and not p.location_removed and p.sha256 == p.uploaded_sha256


def test_a_photo_without_location_is_stored_as_uploaded():
    original = photo(gps=False)
    p = ev.prepare("a.jpg", original)
    assert p.data == original and not p.location_removed


def test_xmp_naming_a_position_is_dropped_from_a_jpeg():
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="34,36.2N"/>'
           b"</rdf:RDF></x:xmpmeta>")
    original = photo(gps=False, xmp=xmp)
    assert b"GPSLatitude" in original
    p = ev.prepare("a.jpg", original)
    assert b"GPSLatitude" not in p.data and p.location_removed and pixels(p.data) == pixels(original)


def test_an_exif_block_of_unknown_structure_is_reencoded_without_any_metadata():
    original = photo(gps=False)
    at = original.index(b"Exif\x00\x00") + 6
    damaged = original[:at] + b"XX" + original[at + 2:]  # not a TIFF byte order: the edit cannot be trusted
    p = ev.prepare("a.jpg", damaged)
    assert p.location_removed and dict(exif_of(p.data)) == {} and b"Exif\x00\x00" not in p.data


def test_blank_gps_keeps_the_length_and_reports_whether_there_was_a_position():
    tiff = Image.Exif()
    tiff[0x8825] = GPS
    block = tiff.tobytes()[6:] if tiff.tobytes().startswith(b"Exif") else tiff.tobytes()
    blanked, had = ev.blank_gps(block)
    assert had and len(blanked) == len(block)
    assert ev.blank_gps(blanked) == (blanked, False)


# --- thumbnails and names -----------------------------------------------------------------------------------


def test_the_thumbnail_is_a_small_upright_jpeg_without_metadata():
    p = ev.prepare("a.jpg", photo(size=(1600, 1200), orientation=6))  # 6: the camera was turned; shown rotated 90°
    assert p.thumbnail is not None and (p.thumbnail.width, p.thumbnail.height) == (240, 320)
    with Image.open(io.BytesIO(p.thumbnail.data)) as small:
        assert small.format == "JPEG" and small.size == (240, 320) and dict(small.getexif()) == {}
    assert len(p.thumbnail.data) < len(p.data) and (p.width, p.height) == (1600, 1200)


def test_a_transparent_png_gets_a_white_background_in_its_thumbnail():
    out = io.BytesIO()
    Image.new("RGBA", (100, 50), (0, 0, 0, 0)).save(out, "PNG")
    p = ev.prepare("logo.png", out.getvalue())
    with Image.open(io.BytesIO(p.thumbnail.data)) as small:
        assert small.getpixel((10, 10)) >= (250, 250, 250)


def test_documents_have_no_thumbnail():
    assert ev.prepare("a.pdf", b"%PDF-1.4 x").thumbnail is None


def test_names_lose_their_folders_and_control_characters_and_stay_short():
    assert ev.clean_name("C:\\Users\\张三\\Desktop\\走访.jpg") == "走访.jpg"
    assert ev.clean_name("../../etc/passwd") == "passwd"
    assert ev.clean_name("a\x00b\r\n.pdf") == "ab.pdf"
    assert ev.clean_name("", ev.JPEG) == "evidence.jpg" and ev.clean_name(None, ev.XLSX) == "evidence.xlsx"
    long = ev.clean_name("很" * 300 + ".docx")
    assert len(long) == 200 and long.endswith(".docx")
    assert ev.prepare(None, b"%PDF-1.4").name == "evidence.pdf"


class _Upload:
    def __init__(self, data: bytes, size=None):
        self.data, self.size, self.at = data, size, 0

    async def read(self, n: int) -> bytes:
        piece = self.data[self.at:self.at + n]
        self.at += len(piece)
        return piece


def test_an_upload_is_read_only_up_to_the_limit():
    upload = _Upload(bytes(5 * 1024 * 1024), size=5 * 1024 * 1024)
    with pytest.raises(EvidenceRefused) as caught:
        asyncio.run(ev.read_limited(upload, "big.pdf", limit=2 * 1024 * 1024))
    assert caught.value.status == 413 and "5242880 bytes" in str(caught.value)
    assert upload.at <= 3 * 1024 * 1024  # stopped as soon as it passed the limit
    assert asyncio.run(ev.read_limited(_Upload(b"abc"), "a")) == b"abc"


def test_a_16_bit_greyscale_png_is_accepted_with_or_without_a_thumbnail():
    out = io.BytesIO()
    Image.new("I;16", (64, 48), 40000).save(out, "PNG")
    p = ev.prepare("scan.png", out.getvalue())
    assert p.kind is ev.PNG and p.data == out.getvalue()
    if p.thumbnail is not None:
        with Image.open(io.BytesIO(p.thumbnail.data)) as small:
            assert small.format == "JPEG"


@pytest.mark.parametrize("cut", [20, 200, 2000])
def test_a_truncated_photo_is_refused_or_kept_never_an_error(cut):
    data = photo()[:cut]
    try:
        p = ev.prepare("cut.jpg", data)
    except EvidenceRefused as r:
        assert r.status == 422 and r.reason == "unreadable"
    else:
        assert p.kind is ev.JPEG
