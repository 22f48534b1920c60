"""What a handler can refuse; the HTTP entrypoint turns each into its status code."""
from __future__ import annotations


class NotFound(Exception):
    def __init__(self, what: str, ids: list[str]):
        super().__init__(f"unknown {what}: {', '.join(ids)}")
        self.what, self.ids = what, ids


class Conflict(Exception):
    def __init__(self, message: str, **detail):
        super().__init__(message)
        self.detail = detail


class Invalid(Exception):
    """Bad input the request model could not see (it needs stored state); names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
