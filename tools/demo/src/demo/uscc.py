"""Deterministic, valid USCCs (GB 32100-2015 with the GB 11714 inner check); domain-anchors.md §4."""
from __future__ import annotations

import hashlib

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]
SANYUAN = "610422"  # 三原县 administrative division code


def org_check(org8: str) -> str:
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(org8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def check(first17: str) -> str:
    return CHARSET[(31 - sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS)) % 31) % 31]


def make(seed: str) -> str:
    """An enterprise (91 = 市场监管/企业) code registered in Sanyuan, derived only from `seed`."""
    digest = hashlib.sha256(seed.encode()).digest()
    org8 = "".join(CHARSET[b % 31] for b in digest[:8])
    first17 = "91" + SANYUAN + org8 + org_check(org8)
    return first17 + check(first17)
