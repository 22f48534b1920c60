"""Refusals of the issues handlers; the HTTP entrypoint maps them to status codes."""


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


class Invalid(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message
