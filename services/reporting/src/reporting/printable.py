"""Pure: text as the document formats can hold it. Names and demands are typed by people and other systems; XML
(.docx, .xlsx) refuses C0 control characters other than tab and line breaks, lone surrogates and U+FFFE/U+FFFF, so
those are dropped when a document is written (the stored facts and the frozen bulletin keep what was sent)."""
from __future__ import annotations

import re
from typing import Any

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def printable(value: Any) -> Any:
    """A string without the characters XML 1.0 cannot carry; anything else as it is."""
    return _NOT_XML.sub("", value) if isinstance(value, str) else value
