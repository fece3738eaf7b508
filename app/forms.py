"""Reading submitted forms: every text field has a declared maximum length and character set.

Each area's `forms.py` declares its fields with `Field` and reads them with `read_form`, so a
value that is too long, or that carries a NUL or another control character, is refused with a
field error (422) before any rule or query sees it, on every engine alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.errors import N_, DomainError, Text

FieldErrors = dict[str, str]

TOO_LONG = N_("Ce champ est trop long (%(max)s caractères au plus).")
CONTROL_CHARACTERS = N_("Ce champ contient des caractères non autorisés.")
REQUIRED = N_("Ce champ est obligatoire.")

# Refused in every field: control characters (Unicode category Cc), lone surrogates (Cs), the
# line and paragraph separators, and the bidirectional overrides and isolates that let a name
# display as something else than it is. Line breaks and tabs are text in a multi-line field.
_BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_REFUSED = re.compile(f"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029{_BIDI_CONTROLS}]")
_REFUSED_MULTILINE = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029{_BIDI_CONTROLS}]"
)


@dataclass
class Form:
    """Submitted values (for re-display) and errors by field name."""

    values: dict[str, str]
    errors: FieldErrors = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def add_error(self, error: DomainError) -> Form:
        """Show a refusal by its field, or above the form when it names none."""
        self.errors[error.field or "form"] = error.message
        return self


@dataclass(frozen=True)
class Field:
    """One text field of a form: its name, maximum length and how it is cleaned.

    `required` is the message shown when it is left empty (None: optional). Secrets such as
    passwords keep their spaces (`strip=False`).
    """

    name: str
    max_length: int
    required: str | None = None
    multiline: bool = False
    strip: bool = True


def has_control_characters(value: str, *, multiline: bool = False) -> bool:
    """True when the text holds a character that is not meant to be typed into a field."""
    return (_REFUSED_MULTILINE if multiline else _REFUSED).search(value) is not None


def clean_field(spec: Field, raw: object) -> tuple[str, str | None]:
    """The cleaned value of one field and its error message, if any."""
    value = raw if isinstance(raw, str) else ""
    if spec.strip:
        value = value.strip()
    if has_control_characters(value, multiline=spec.multiline):
        return "", CONTROL_CHARACTERS
    if len(value) > spec.max_length:
        return value[: spec.max_length], Text(TOO_LONG, max=spec.max_length)
    if not value and spec.required is not None:
        return value, spec.required
    return value, None


def read_form(data: Mapping[str, object], fields: Sequence[Field]) -> Form:
    """Clean every declared field; fields that were not declared are ignored."""
    form = Form({})
    for spec in fields:
        value, error = clean_field(spec, data.get(spec.name, ""))
        form.values[spec.name] = value
        if error is not None:
            form.errors[spec.name] = error
    return form
