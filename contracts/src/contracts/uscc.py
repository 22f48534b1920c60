"""Unified Social Credit Code (统一社会信用代码, GB 32100-2015) validation."""
from __future__ import annotations

from functools import lru_cache

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 symbols: no I, O, Z, S, V
WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]  # GB 11714 organisation code, positions 9-16


class USCCError(ValueError):
    """Why a code is not a valid USCC; the message names the part that is wrong."""


def normalise(code: str) -> str:
    # Codes are copied from certificates and spreadsheets: drop any whitespace (full-width too) and hyphens.
    return "".join(ch for ch in code if not ch.isspace() and ch not in "-‐‑–—").upper()


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def org_check_character(org8: str) -> str:
    total = sum(int(ch, 36) * w for ch, w in zip(org8, ORG_WEIGHTS))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def validate(code: str) -> str:
    """Return the normalised code, or raise USCCError saying what is wrong."""
    if not isinstance(code, str):
        raise USCCError("must be a string of 18 characters")
    return _validated(code)


@lru_cache(maxsize=1 << 17)  # every event names an enterprise, and the same ones again and again
def _validated(code: str) -> str:
    c = normalise(code)
    if len(c) != 18:
        raise USCCError(f"must be 18 characters, got {len(c)}")
    bad = sorted({ch for ch in c if ch not in CHARSET})
    if bad:
        raise USCCError(f"contains characters not allowed in a USCC: {''.join(bad)} (I, O, Z, S, V are never used)")
    if not c[2:8].isdigit():
        raise USCCError("positions 3-8 must be the 6-digit administrative division code")
    expected = check_character(c[:17])
    if c[17] != expected:
        raise USCCError(f"check character (position 18) is {c[17]!r}, expected {expected!r}")
    org_expected = org_check_character(c[8:16])
    if c[16] != org_expected:
        raise USCCError(
            f"organisation code check character (position 17, GB 11714) is {c[16]!r}, expected {org_expected!r}"
        )
    return c


def is_valid(code: str) -> bool:
    try:
        validate(code)
    except USCCError:
        return False
    return True
