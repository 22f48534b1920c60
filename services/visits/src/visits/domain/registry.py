"""The township registry as a fresh service finds it (seeded at start where absent; a county admin edits it)."""
from __future__ import annotations

SEED_COUNTY = "示范县"
SEED_TOWNSHIPS = {"dacheng": "大程镇", "xiyang": "西阳镇"}
