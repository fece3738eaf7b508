"""Domain errors raised by services and turned into 4xx pages in one place (app.main)."""

from __future__ import annotations

from datetime import datetime


class DomainError(Exception):
    """A rule refused the request; `message` is French UI text (translated when shown)."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist or belongs to another organisation (same answer for both)."""

    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class AccountLocked(Exception):
    """Checks of one kind on one account are paused until `resumes_at` (answered 429).

    Not a DomainError on purpose: forms show a DomainError next to a field as one more wrong
    answer, while a pause gets a page of its own saying when checks resume.
    """

    status_code = 429

    def __init__(self, *, kind: str, resumes_at: datetime) -> None:
        super().__init__(f"{kind} checks paused until {resumes_at.isoformat()}")
        self.kind = kind
        self.resumes_at = resumes_at


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated when rendered."""
    return message


class Text(str):
    """French source text with the values of its `%(name)s` placeholders, translated when shown.

    It is a `str`, so it travels wherever a message does (form errors, DomainError) and the
    translation step fills the placeholders: `Text(N_("Au moins %(min)s caractères."), min=10)`.
    """

    params: dict[str, object]

    def __new__(cls, message: str, **params: object) -> Text:
        text = super().__new__(cls, message)
        text.params = params
        return text
