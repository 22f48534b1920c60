"""Evidence (佐证材料, 走访照片): the photos and files attached to a visit or an issue, the same rules in every service.

What a file is comes from its content (its magic bytes), never from its name or the browser's Content-Type: an
allow-list (JPEG, PNG, WebP, PDF, DOCX, XLSX); executables are named as such. A file over the size limit is refused
with 413, a type not allowed with 415, an empty or unreadable one with 422, each naming the file and the reason.
A photo's location (the EXIF GPS block, and XMP packets that mention GPS) is blanked unless the clerk keeps it on
purpose; the rest of the file is left byte for byte (no re-encoding) where its structure is the usual one. Photos
get a JPEG thumbnail. `sha256` is of the bytes stored, which are the bytes served back.

Pure functions here; `buildingblocks.evidence_store` keeps the bytes in GridFS in the service's own database."""
from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any, Optional

from buildingblocks.errors import Refused

MAX_BYTES = 20 * 1024 * 1024  # 20 MiB: a phone photo is 2–8 MB, a scanned PDF rarely more
MAX_PIXELS = 60_000_000  # a 200-megapixel panorama is not a visit photo, and decoding it would take the process down
THUMBNAIL_PX = 320  # the longer side
NAME_MAX = 200


@dataclass(frozen=True)
class Kind:
    label: str  # as the refusals and the README name it
    content_type: str
    photo: bool = False


JPEG = Kind("JPEG", "image/jpeg", photo=True)
PNG = Kind("PNG", "image/png", photo=True)
WEBP = Kind("WebP", "image/webp", photo=True)
PDF = Kind("PDF", "application/pdf")
DOCX = Kind("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
XLSX = Kind("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ALLOWED = (JPEG, PNG, WEBP, PDF, DOCX, XLSX)
ALLOWED_LABELS = [k.label for k in ALLOWED]
BY_CONTENT_TYPE = {k.content_type: k for k in ALLOWED}

# Signatures of what must never be stored, so the refusal can say what the file is.
_EXECUTABLES = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows executable (PE/MZ)"),
    (b"#!", "a script (#!)"),
    (b"\xfe\xed\xfa\xce", "a Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
)


class EvidenceRefused(Refused):
    """A file refused: `status` 413, 415 or 422; the body names the file, the reason code and what is allowed."""

    def __init__(self, status: int, file: str, reason: str, message: str):
        extra = {}
        if status == 422:  # shaped like every other 422 of the services: the field, and why
            extra["detail"] = [{"loc": ["body", "file"], "msg": f"{file}: {message}", "type": "value_error"}]
        super().__init__(status, f"{file}: {message}", file=file, reason=reason, allowed=ALLOWED_LABELS,
                         max_bytes=MAX_BYTES, **extra)
        self.file, self.reason = file, reason


def too_large(file: str, size: Optional[int] = None) -> EvidenceRefused:
    told = f"{size} bytes" if size is not None else "more than that"
    return EvidenceRefused(413, file, "too_large", f"the file is {told}; the limit is {MAX_BYTES // (1024 * 1024)} MB ({MAX_BYTES} bytes)")


def clean_name(raw: Optional[str], kind: Optional[Kind] = None) -> str:
    """The file's own name: no folder, no control characters, at most 200 characters (the extension kept)."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not name:
        return "evidence" + ({"JPEG": ".jpg", "PNG": ".png", "WebP": ".webp", "PDF": ".pdf", "DOCX": ".docx",
                               "XLSX": ".xlsx"}[kind.label] if kind else "")
    if len(name) > NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: NAME_MAX - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 else name[:NAME_MAX]
    return name


def sniff(file: str, data: bytes) -> Kind:
    """What the content is, from the allow-list; refuses anything else naming what it is where that is known."""
    if not data:
        raise EvidenceRefused(422, file, "empty", "the file is empty")
    if len(data) > MAX_BYTES:
        raise too_large(file, len(data))
    for magic, what in _EXECUTABLES:
        if data.startswith(magic):
            raise EvidenceRefused(415, file, "executable", f"{what} is never accepted; allowed: {', '.join(ALLOWED_LABELS)}")
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:1024].lstrip(b"\r\n\t \x00\xef\xbb\xbf").startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        return _office(file, data)
    raise EvidenceRefused(415, file, "type_not_allowed",
                          f"its content is not one of the allowed types: {', '.join(ALLOWED_LABELS)}")


def _office(file: str, data: bytes) -> Kind:
    """A ZIP is allowed only as a Word or Excel document (OOXML), and never with macros."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())  # the central directory only: nothing is unpacked
    except (zipfile.BadZipFile, ValueError, OSError):
        raise EvidenceRefused(422, file, "unreadable", "it starts like a ZIP archive but cannot be read") from None
    if "[Content_Types].xml" in names and any(n.lower().endswith("vbaproject.bin") for n in names):
        raise EvidenceRefused(415, file, "macros", "an Office document with macros is never accepted; save it as .docx or .xlsx")
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    raise EvidenceRefused(415, file, "type_not_allowed",
                          f"a ZIP archive is accepted only as a DOCX or XLSX document; allowed: {', '.join(ALLOWED_LABELS)}")


# --- location metadata --------------------------------------------------------------------------------------

_GPS_IFD = 0x8825
_TIFF_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


class _Unusual(Exception):
    """A structure the lossless edit does not know: the photo is re-encoded without any metadata instead."""


def blank_gps(tiff: bytes) -> tuple[bytes, bool]:
    """An EXIF block (TIFF structure) with its GPS directory emptied in place: same length, every other offset
    still right. Returns the block and whether there was any GPS entry."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        raise _Unusual("not a TIFF header")
    e = "<" if tiff[:2] == b"II" else ">"
    out = bytearray(tiff)

    def u16(at: int) -> int:
        if at + 2 > len(tiff):
            raise _Unusual("offset out of the block")
        return struct.unpack_from(e + "H", tiff, at)[0]

    def u32(at: int) -> int:
        if at + 4 > len(tiff):
            raise _Unusual("offset out of the block")
        return struct.unpack_from(e + "I", tiff, at)[0]

    ifd0 = u32(4)
    found = False
    for k in range(u16(ifd0)):
        at = ifd0 + 2 + 12 * k
        if u16(at) != _GPS_IFD:
            continue
        gps = u32(at + 8)
        count = u16(gps)
        for j in range(count):
            entry = gps + 2 + 12 * j
            size = _TIFF_TYPE_SIZE.get(u16(entry + 2), 1) * u32(entry + 4)
            if size > 4:
                value_at = u32(entry + 8)
                if value_at + size > len(tiff):
                    raise _Unusual("GPS value out of the block")
                out[value_at:value_at + size] = bytes(size)
            u32(entry + 8)  # bounds
            out[entry:entry + 12] = bytes(12)
        struct.pack_into(e + "H", out, gps, 0)
        found = found or count > 0
    return bytes(out), found


def _is_location_xmp(payload: bytes) -> bool:
    return b"GPS" in payload or b"exif:GPS" in payload


def _strip_jpeg(data: bytes) -> tuple[bytes, bool]:
    out, i, removed = [data[:2]], 2, False
    while i < len(data):
        if data[i] != 0xFF:
            raise _Unusual("marker expected")
        marker = data[i + 1] if i + 1 < len(data) else 0xD9
        if marker == 0xFF:  # fill byte
            out.append(b"\xff")
            i += 1
            continue
        if marker in (0xDA, 0xD9):  # start of scan: the image data, and the rest, unchanged
            out.append(data[i:])
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[i:i + 2])
            i += 2
            continue
        if i + 4 > len(data):
            raise _Unusual("truncated segment")
        length = int.from_bytes(data[i + 2:i + 4], "big")
        segment = data[i:i + 2 + length]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            tiff, had = blank_gps(payload[6:])
            segment = segment[:10] + tiff
            removed = removed or had
        elif marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/") and _is_location_xmp(payload):
            segment, removed = b"", True
        out.append(segment)
        i += 2 + length
    return b"".join(out), removed


def _strip_png(data: bytes) -> tuple[bytes, bool]:
    out, i, removed = [data[:8]], 8, False
    while i < len(data):
        if i + 12 > len(data):
            raise _Unusual("truncated chunk")
        length = int.from_bytes(data[i:i + 4], "big")
        kind = data[i + 4:i + 8]
        body = data[i + 8:i + 8 + length]
        chunk = data[i:i + 12 + length]
        if kind == b"eXIf":
            body, had = blank_gps(body)
            chunk = data[i:i + 8] + body + struct.pack(">I", zlib.crc32(kind + body))
            removed = removed or had
        elif kind in (b"iTXt", b"tEXt", b"zTXt") and body.startswith(b"XML:com.adobe.xmp"):
            chunk, removed = b"", True  # may be compressed: dropped whole rather than searched
        out.append(chunk)
        i += 12 + length
        if kind == b"IEND":
            out.append(data[i:])
            break
    return b"".join(out), removed


def _strip_webp(data: bytes) -> tuple[bytes, bool]:
    chunks, i, removed = [], 12, False
    while i + 8 <= len(data):
        fourcc, size = data[i:i + 4], int.from_bytes(data[i + 4:i + 8], "little")
        body = data[i + 8:i + 8 + size]
        if len(body) != size:
            raise _Unusual("truncated chunk")
        if fourcc == b"EXIF":
            prefix = b"Exif\x00\x00" if body.startswith(b"Exif\x00\x00") else b""
            tiff, had = blank_gps(body[len(prefix):])
            body, removed = prefix + tiff, removed or had
        if fourcc == b"XMP " and _is_location_xmp(body):
            removed = True
        else:
            chunks.append([fourcc, body])
        i += 8 + size + (size & 1)
    if removed:
        for chunk in chunks:
            if chunk[0] == b"VP8X" and not any(c[0] == b"XMP " for c in chunks):
                chunk[1] = bytes([chunk[1][0] & ~0x04]) + chunk[1][1:]  # the XMP flag off
    payload = b"WEBP" + b"".join(c[0] + struct.pack("<I", len(c[1])) + c[1] + (b"\x00" if len(c[1]) & 1 else b"")
                                 for c in chunks)
    return b"RIFF" + struct.pack("<I", len(payload)) + payload, removed


_STRIP = {"JPEG": _strip_jpeg, "PNG": _strip_png, "WebP": _strip_webp}


def strip_location(kind: Kind, data: bytes) -> tuple[bytes, bool]:
    """The photo without its location, and whether it had one. A structure the edit does not know is re-encoded
    by Pillow without any metadata (lossy for JPEG, but no location ever stays by accident)."""
    try:
        stripped, removed = _STRIP[kind.label](data)
    except (_Unusual, struct.error, IndexError, ValueError):
        return _reencoded(kind, data), True
    return (stripped, True) if removed else (data, False)  # nothing to take out: the upload, byte for byte


def _reencoded(kind: Kind, data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        out = io.BytesIO()
        clean = image.convert("RGB") if kind is JPEG and image.mode not in ("RGB", "L") else image
        clean.save(out, format={"JPEG": "JPEG", "PNG": "PNG", "WebP": "WEBP"}[kind.label], quality=92)
        return out.getvalue()


# --- photos -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def check_photo(file: str, kind: Kind, data: bytes) -> tuple[int, int]:
    """The photo decodes as what its magic bytes say and is not absurdly large; returns (width, height)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise EvidenceRefused(422, file, "too_many_pixels", f"the image is {image.width}×{image.height} pixels; "
                                          f"the limit is {MAX_PIXELS // 1_000_000} megapixels")
                if image.format != {"JPEG": "JPEG", "PNG": "PNG", "WebP": "WEBP"}[kind.label]:
                    raise EvidenceRefused(415, file, "type_not_allowed", f"it is not a {kind.label} image")
                image.load()
                return image.width, image.height
    except EvidenceRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise EvidenceRefused(422, file, "too_many_pixels", f"the image is over {MAX_PIXELS // 1_000_000} megapixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise EvidenceRefused(422, file, "unreadable", f"it starts like a {kind.label} image but cannot be decoded ({exc})") from None
    except Exception as exc:  # a decoder's own failure on a damaged file (EOFError, struct.error, …)
        raise EvidenceRefused(422, file, "unreadable",
                              f"it starts like a {kind.label} image but cannot be decoded ({type(exc).__name__})") from None


def thumbnail(data: bytes) -> Thumbnail:
    """A JPEG of at most 320 px on its longer side, upright (the EXIF orientation applied), with no metadata."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        small = ImageOps.exif_transpose(image)
        small.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        if small.mode in ("RGBA", "LA", "P"):
            rgba = small.convert("RGBA")
            small = Image.new("RGB", rgba.size, "white")
            small.paste(rgba, mask=rgba.getchannel("A"))
        elif small.mode != "RGB":
            small = small.convert("RGB")
        out = io.BytesIO()
        small.save(out, format="JPEG", quality=80, optimize=True)
        return Thumbnail(out.getvalue(), small.width, small.height)


# --- one upload, all the rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """An upload that passed every rule, as it will be stored."""

    name: str
    kind: Kind
    data: bytes  # what is stored and served back
    sha256: str  # of `data`
    uploaded_sha256: str  # of the bytes as uploaded (differs when the location was taken out)
    uploaded_size: int
    location_removed: bool
    location_kept: bool
    thumbnail: Optional[Thumbnail] = None
    width: Optional[int] = None
    height: Optional[int] = None

    @property
    def size(self) -> int:
        return len(self.data)

    def fields(self) -> dict[str, Any]:
        """What the stored record says about the file."""
        return {
            "name": self.name, "content_type": self.kind.content_type, "kind": self.kind.label, "size": self.size,
            "sha256": self.sha256, "uploaded_sha256": self.uploaded_sha256, "uploaded_size": self.uploaded_size,
            "location_removed": self.location_removed, "location_kept": self.location_kept,
            "width": self.width, "height": self.height,
            "thumbnail": None if self.thumbnail is None else {
                "content_type": self.thumbnail.content_type, "size": len(self.thumbnail.data),
                "width": self.thumbnail.width, "height": self.thumbnail.height},
        }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare(raw_name: Optional[str], data: bytes, keep_location: bool = False) -> Prepared:
    """Every rule of one upload, in order: the size, the type by content, a photo that decodes, its location taken
    out unless kept, its thumbnail, the hash of what is stored."""
    shown_name = clean_name(raw_name)
    kind = sniff(shown_name, data)
    name = clean_name(raw_name, kind)
    stored, removed, thumb, size = data, False, None, (None, None)
    if kind.photo:
        size = check_photo(name, kind, data)
        if not keep_location:
            stored, removed = strip_location(kind, data)
        try:
            thumb = thumbnail(stored)
        except Exception:  # an unusual pixel format (16-bit, …): the photo is kept, without a thumbnail
            thumb = None
    return Prepared(
        name=name, kind=kind, data=stored, sha256=sha256(stored), uploaded_sha256=sha256(data), uploaded_size=len(data),
        location_removed=removed, location_kept=kind.photo and keep_location, thumbnail=thumb,
        width=size[0], height=size[1],
    )


async def read_limited(upload: Any, file: str, limit: int = MAX_BYTES, chunk: int = 1024 * 1024) -> bytes:
    """An UploadFile's bytes, refusing with 413 as soon as it passes the limit (never more than limit + 1 MB held)."""
    parts, total = [], 0
    while piece := await upload.read(chunk):
        total += len(piece)
        if total > limit:
            raise too_large(file, _size_of(upload))
        parts.append(piece)
    return b"".join(parts)


def _size_of(upload: Any) -> Optional[int]:
    size = getattr(upload, "size", None)
    return size if isinstance(size, int) else None



async def received(upload: Any, keep_location: bool = False) -> Prepared:
    """An UploadFile through every rule; the image work runs in a thread, so other requests are not held up."""
    import asyncio

    name = clean_name(getattr(upload, "filename", None))
    data = await read_limited(upload, name)
    return await asyncio.to_thread(prepare, getattr(upload, "filename", None), data, keep_location)
