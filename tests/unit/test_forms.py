"""Which characters a form field refuses: checked against the Unicode database, code point by
code point, so a hole in the patterns of app.forms cannot hide behind a few examples."""

from __future__ import annotations

import sys
import unicodedata

from app.forms import has_control_characters

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
SEPARATORS = frozenset("\u2028\u2029")
ALWAYS_REFUSED = BIDI_CONTROLS | SEPARATORS
MULTILINE_TEXT = set("\n\r\t")


def refused(char: str, *, multiline: bool) -> bool:
    """The rule in words: control characters, lone surrogates, line and paragraph separators
    and bidirectional controls; a multi-line field takes line breaks and tabs as text."""
    if multiline and char in MULTILINE_TEXT:
        return False
    return char in ALWAYS_REFUSED or unicodedata.category(char) in ("Cc", "Cs")


def test_every_code_point_is_refused_exactly_when_the_rule_says() -> None:
    everything = [chr(code) for code in range(sys.maxunicode + 1)]
    for multiline in (False, True):
        expected = {char for char in everything if refused(char, multiline=multiline)}
        # One character at a time would take seconds: halve the text until each refused
        # character is found alone, and any accepted half is accepted as a whole.
        found: set[str] = set()
        pending = [everything]
        while pending:
            chunk = pending.pop()
            if not has_control_characters("".join(chunk), multiline=multiline):
                continue
            if len(chunk) == 1:
                found |= set(chunk)
                continue
            middle = len(chunk) // 2
            pending += [chunk[:middle], chunk[middle:]]
        wrong = sorted(f"U+{ord(char):04X}" for char in found ^ expected)
        assert wrong == [], f"multiline={multiline}: {wrong[:20]}"


def test_ordinary_text_of_any_length_passes() -> None:
    text = "Société Générale — 29 boulevard Haussmann, 75009 Paris 🙂 " * 10_000
    assert not has_control_characters(text)
    assert not has_control_characters("Ligne 1\nLigne 2\tfin", multiline=True)
    assert has_control_characters("Ligne 1\nLigne 2")
