"""The stylesheet's design tokens: every colour pair meets WCAG AA, and every part uses tokens."""

from __future__ import annotations

import re

import pytest

from app.settings import ROOT

CSS = (ROOT / "static" / "css" / "app.css").read_text()
ROOT_BLOCK = CSS[CSS.index(":root {") : CSS.index("}", CSS.index(":root {"))]
TOKENS = dict(re.findall(r"--([\w-]+):\s*([^;]+);", ROOT_BLOCK))
AA_TEXT = 4.5

# (text, background): each pairing the stylesheet uses for text.
TEXT_PAIRS = [
    ("ink", "bg"),
    ("ink", "surface"),
    ("muted", "surface"),
    ("muted", "bg"),
    ("brand", "surface"),
    ("brand", "bg"),
    ("surface", "brand"),
    ("surface", "brand-strong"),
    ("brand-strong", "brand-soft"),
    ("ok", "ok-bg"),
    ("ok", "surface"),
    ("warn", "warn-bg"),
    ("late", "late-bg"),
    ("error", "error-bg"),
    ("error", "surface"),
    ("surface", "error"),
    ("surface", "error-strong"),
    ("owner", "owner-bg"),
]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_is_computed_as_wcag_defines_it() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(("text", "background"), TEXT_PAIRS)
def test_each_text_colour_reads_on_its_background(text: str, background: str) -> None:
    ratio = contrast(TOKENS[f"color-{text}"], TOKENS[f"color-{background}"])
    assert ratio >= AA_TEXT, f"{text} on {background}: {ratio:.2f}:1"


def test_every_token_the_stylesheet_uses_is_defined() -> None:
    used = set(re.findall(r"var\(--([\w-]+)\)", CSS))
    assert used - set(TOKENS) == set()


def test_colours_are_written_only_as_tokens() -> None:
    """Outside the token block, a colour is a token (rgba shades of the ink are allowed)."""
    rest = CSS.replace(ROOT_BLOCK, "")
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b", rest) == []
