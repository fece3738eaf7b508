"""Absolute links written into emails: filled parameters, one slash between base and path."""

import pytest

from app.accounts import paths


def test_a_link_fills_and_percent_encodes_its_parameters() -> None:
    link = paths.link("https://ponctuel.example", paths.RESET_PASSWORD, token="a/b c?")
    assert link == "https://ponctuel.example/password/reset/a%2Fb%20c%3F"


@pytest.mark.parametrize(
    "base_url",
    ["https://app.example/FIX", "https://app.example/FIX/", "https://app.example/FIX//"],
)
def test_only_trailing_slashes_of_the_base_address_are_dropped(base_url: str) -> None:
    assert paths.link(base_url, paths.DASHBOARD) == "https://app.example/FIX" + paths.DASHBOARD


def test_a_link_refuses_missing_or_unknown_parameters() -> None:
    with pytest.raises(ValueError):
        paths.link("https://ponctuel.example", paths.RESET_PASSWORD)
    with pytest.raises(ValueError):
        paths.link("https://ponctuel.example", paths.DASHBOARD, token="x")
