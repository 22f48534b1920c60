"""What the domain refuses. The handlers turn these into the service's HTTP answers (422 and 409)."""
from __future__ import annotations


class Refused(Exception):
    """A rule of the domain says no."""


class InvalidValue(Refused):
    """A value that the issue's state (or the township's rules) make wrong; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class WrongStatus(Refused):
    """The change is not possible in the issue's status: closing a closed issue, reopening an open one."""


class Unknown(Refused):
    """A thing the change names does not exist on the issue (an extension request id)."""

    def __init__(self, kind: str, id: str):
        super().__init__(f"{kind} {id} not found")
        self.kind, self.id = kind, id
