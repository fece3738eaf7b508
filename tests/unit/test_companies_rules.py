"""SIREN and VAT numbers: the check digit, the La Poste exception, formatting and the VAT key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from app.companies.rules import (
    QUERY_MAX,
    WORD_LETTERS,
    BadRecord,
    Diffusion,
    InvalidIdentifier,
    QueryKind,
    SearchQuery,
    SirenProblem,
    UnattributedSiren,
    company_from_unit,
    company_slug,
    departement_of,
    format_siren,
    head_office_from_establishment,
    is_one_typo_apart,
    is_scored,
    is_typo_word,
    normalise_name,
    normalise_siren,
    normalise_vat,
    one_typo_away,
    parse_query,
    siren_problem,
    vat_for,
    vocabulary_words,
    withdrawn_siren_marker,
)

NINE_DIGITS = st.text(alphabet="0123456789", min_size=9, max_size=9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("732829320", "732829320"),
        ("732 829 320", "732829320"),
        ("732.829.320", "732829320"),
        ("732-829-320", "732829320"),
        ("732\u00a0829\u00a0320", "732829320"),  # no-break spaces, as French text sets them
        ("732\u202f829\u202f320", "732829320"),
        ("  732829320 ", "732829320"),
        ("356000000", "356000000"),  # La Poste's SIREN passes Luhn
        ("005520135", "005520135"),  # leading zeros are real, older numbers
        ("000325175", "000325175"),
        ("552100554", "552100554"),
    ],
)
def test_valid_sirens_are_normalised(text: str, expected: str) -> None:
    assert siren_problem(text) is None
    assert normalise_siren(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("732829321", SirenProblem.CHECKSUM),
        ("000000001", SirenProblem.CHECKSUM),
        ("73282932", SirenProblem.FORMAT),
        ("7328293200", SirenProblem.FORMAT),
        ("ABCDEFGHI", SirenProblem.FORMAT),
        ("", SirenProblem.FORMAT),
        ("732_829_320", SirenProblem.FORMAT),
        ("٧٣٢٨٢٩٣٢٠", SirenProblem.FORMAT),  # digits, but not the ASCII ones
        ("000000000", SirenProblem.NEVER_ATTRIBUTED),
        ("000 000 000", SirenProblem.NEVER_ATTRIBUTED),
        ("000.000.000", SirenProblem.NEVER_ATTRIBUTED),
    ],
)
def test_invalid_sirens_are_refused_with_their_reason(text: str, problem: SirenProblem) -> None:
    assert siren_problem(text) == problem
    with pytest.raises(InvalidIdentifier):
        normalise_siren(text)


def test_the_all_zero_siren_is_refused_as_never_attributed() -> None:
    with pytest.raises(UnattributedSiren):
        normalise_siren("000000000")
    with pytest.raises(InvalidIdentifier):
        vat_for("000000000")


def test_a_mistyped_siren_is_not_reported_as_never_attributed() -> None:
    with pytest.raises(InvalidIdentifier) as refused:
        normalise_siren("732829321")
    assert not isinstance(refused.value, UnattributedSiren)


def test_every_number_of_the_lowest_range_is_judged_by_key_and_attribution() -> None:
    """All 100,000 numbers 000000000 to 000099999, where the never-attributed one lives."""
    accepted = 0
    for number in range(100_000):
        siren = f"{number:09d}"
        expected = None
        if not luhn.is_valid(siren):
            expected = SirenProblem.CHECKSUM
        elif siren == "000000000":
            expected = SirenProblem.NEVER_ATTRIBUTED
        assert siren_problem(siren) == expected, siren
        accepted += expected is None
    assert accepted == 10_000 - 1  # one key per sequence, minus the all-zero sequence


def test_vat_number_is_derived_from_the_siren() -> None:
    assert vat_for("732829320") == "FR44732829320"


@pytest.mark.parametrize("text", ["FR44732829320", "FR 44 732 829 320", "FRK7399859412"])
def test_given_vat_numbers_use_the_full_algorithm(text: str) -> None:
    assert normalise_vat(text).startswith("FR")


def test_vat_number_with_a_wrong_key_is_refused_with_the_reason() -> None:
    with pytest.raises(InvalidIdentifier, match="checksum or check digit is invalid"):
        normalise_vat("FR84323140391")


@given(st.text(alphabet="0123456789", min_size=8, max_size=8).filter(lambda b: b != "00000000"))
def test_every_luhn_completed_siren_is_accepted_and_has_a_valid_vat(body: str) -> None:
    siren = body + luhn.calc_check_digit(body)
    assert normalise_siren(siren) == siren
    vat = vat_for(siren)
    assert vat.endswith(siren) and normalise_vat(vat) == vat


@given(NINE_DIGITS)
def test_a_siren_is_accepted_exactly_when_its_key_is_right_and_it_can_be_attributed(
    siren: str,
) -> None:
    if luhn.is_valid(siren) and siren != "000000000":
        assert normalise_siren(siren) == siren
    else:
        with pytest.raises(InvalidIdentifier):
            normalise_siren(siren)


@given(st.integers(min_value=1, max_value=10**8 - 1))
def test_a_withdrawn_siren_marker_is_nine_digits_that_no_company_can_have(org_id: int) -> None:
    marker = withdrawn_siren_marker(org_id)
    assert len(marker) == 9 and marker.isdigit()
    assert siren_problem(marker) == SirenProblem.CHECKSUM


def test_withdrawn_siren_markers_differ_for_every_organisation() -> None:
    markers = {withdrawn_siren_marker(org_id) for org_id in range(1, 20_001)}
    assert len(markers) == 20_000


@pytest.mark.parametrize("org_id", [0, -1, 10**8])
def test_a_withdrawn_siren_marker_refuses_ids_it_cannot_hold(org_id: int) -> None:
    with pytest.raises(
        ValueError, match=r"^organisation id out of range for a withdrawn-SIREN marker$"
    ):
        withdrawn_siren_marker(org_id)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("552120222", "552\u00a0120\u00a0222"),
        ("552 120 222", "552\u00a0120\u00a0222"),
        ("", ""),
        ("1234", "1234"),
    ],
)
def test_a_siren_is_shown_in_unbreakable_groups_of_three(stored: str, shown: str) -> None:
    assert format_siren(stored) == shown


@pytest.mark.parametrize(
    ("diffusion", "is_natural_person", "scored"),
    [
        (Diffusion.PUBLIC, False, True),
        (Diffusion.PUBLIC, True, False),  # a sole trader: SIREN and commune only
        (Diffusion.PARTIAL, False, False),  # data masked at a person's request
        (Diffusion.PARTIAL, True, False),
    ],
)
def test_only_a_legal_person_with_public_data_is_scored(
    diffusion: Diffusion, is_natural_person: bool, scored: bool
) -> None:
    assert is_scored(diffusion=diffusion, is_natural_person=is_natural_person) is scored


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Société Générale", "societe-generale"),
        ("L'ŒUVRE D'ART & CIE", "l-oeuvre-d-art-cie"),
        ("  R.P.S.  ", "r-p-s"),
        ("Ça marche !", "ca-marche"),
        ("", ""),
        ("北京", ""),
        ("a" * 200, "a" * 120),
        ("a" * 119 + " b", "a" * 119),
    ],
)
def test_a_company_slug_is_its_name_in_lower_case_ascii_words(name: str, slug: str) -> None:
    assert company_slug(name) == slug


@pytest.mark.parametrize(
    ("commune_code", "postcode", "departement"),
    [
        ("69382", "69002", "69"),
        ("2A004", "20000", "2A"),
        ("2B033", "20200", "2B"),
        ("", "20000", "2A"),  # a Corsican postcode alone: 200xx and 201xx are Corse-du-Sud
        ("", "20600", "2B"),
        ("97411", "97400", "974"),
        ("", "97400", "974"),
        ("", "75008", "75"),
        ("", "", ""),
        ("", "7500", ""),
    ],
)
def test_the_departement_comes_from_the_commune_code_else_from_the_postcode(
    commune_code: str, postcode: str, departement: str
) -> None:
    assert departement_of(commune_code, postcode) == departement


def test_a_unit_row_with_an_unknown_state_or_a_short_siren_is_a_bad_record() -> None:
    from app.dev.sirene_files import siren_for, unit_record

    with pytest.raises(BadRecord, match="administrative state"):
        company_from_unit(unit_record(siren_for(1), etatAdministratifUniteLegale="F"))
    with pytest.raises(BadRecord, match="nine digits"):
        company_from_unit(unit_record("12345"))
    facts = company_from_unit(
        unit_record(
            siren_for(2),
            denominationUsuelle1UniteLegale="AB",
            denominationUsuelle2UniteLegale="AB",
            denominationUsuelle3UniteLegale="CD",
        )
    )
    assert facts.usual_names == "AB | CD"


def test_an_establishment_that_is_not_the_head_office_gives_nothing() -> None:
    from app.dev.sirene_files import head_office_record, siren_for

    record = head_office_record(siren_for(1), etablissementSiege="false")
    assert head_office_from_establishment(record, commune_only=False) is None


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("Société Générale", "societe generale"),
        ("SOCIETE  GENERALE", "societe generale"),
        ("société\u00a0générale ", "societe generale"),
        ("Société Génér", "societe gener"),
        ("L'Œuvre d’Art", "oeuvre art"),
        ("Qu'importe", "importe"),
        ("R.P.S. Conseil", "rps conseil"),
        ("Crédit Agricole S.A.", "credit agricole sa"),
        ("Dupont-Martin & Fils", "dupont martin fils"),
        ("ÉTS Ærø Straße", "ets aero strasse"),
        ('"*():^-', ""),
        ("", ""),
    ],
)
def test_names_are_compared_in_lower_case_ascii_words(typed: str, normalised: str) -> None:
    assert normalise_name(typed) == normalised


@given(st.text(max_size=60))
def test_a_normalised_name_is_lower_case_ascii_words_and_normalising_again_changes_nothing(
    typed: str,
) -> None:
    normalised = normalise_name(typed)
    assert all(
        word.isascii() and word.isalnum() and word == word.lower() for word in normalised.split()
    )
    assert normalised == " ".join(normalised.split())
    assert normalise_name(normalised) == normalised


@pytest.mark.parametrize(
    "typed",
    [
        "552120222",
        "552 120 222",
        "552.120.222",
        " 552-120-222 ",
        "55212022200013",  # a SIRET: its company
        "552 120 222 00013",
        "FR27552120222",
        "fr 27 552 120 222",
        "FR27.552.120.222",
    ],
)
def test_a_siren_siret_or_vat_number_asks_for_that_company(typed: str) -> None:
    assert parse_query(typed) == SearchQuery(kind=QueryKind.SIREN, siren="552120222")


def test_la_postes_establishments_lead_to_its_siren() -> None:
    for siret in ("35600000000048", "35600000009075"):  # Luhn, and the sum-of-digits rule
        assert parse_query(siret).siren == "356000000"


@pytest.mark.parametrize(
    "typed",
    ["552120223", "55212022200014", "FR28552120222", "000000000", "FR00000000000"],
)
def test_an_identifier_with_a_wrong_key_is_searched_as_a_name(typed: str) -> None:
    assert parse_query(typed).kind is QueryKind.NAME


@pytest.mark.parametrize("typed", ["", " ", "a", "-", '"*():^-', "\x00", "é", "l'"])
def test_too_little_to_search_for_is_an_empty_query(typed: str) -> None:
    assert parse_query(typed) == SearchQuery(kind=QueryKind.EMPTY)


def test_a_name_query_keeps_its_words_and_drops_what_cannot_be_typed() -> None:
    assert parse_query("Société\x00 Génér").words == ("societe", "gener")
    assert parse_query("ab").words == ("ab",)
    long = parse_query("mot " * 1000)
    assert long.kind is QueryKind.NAME and len(" ".join(long.words)) <= QUERY_MAX


@given(st.text(max_size=3000))
def test_any_text_is_a_query_never_an_error(typed: str) -> None:
    query = parse_query(typed)
    assert query.kind in QueryKind
    if query.kind is QueryKind.SIREN:
        assert siren_problem(query.siren) is None
    assert sum(len(word) for word in query.words) <= QUERY_MAX


def test_the_vocabulary_holds_the_words_typo_tolerance_looks_at() -> None:
    assert vocabulary_words(["menuiserie du lac", "lac abcd", "a" * 31]) == {"menuiserie", "abcd"}
    assert is_typo_word("abcd") and is_typo_word("a" * 30)
    assert not is_typo_word("abc")  # too short to guess a typo
    assert not is_typo_word("a" * 31)


def test_the_words_one_typo_away_are_every_edit_of_one_letter() -> None:
    found = one_typo_away("ab")
    assert {"ab", "b", "a", "ba", "xb", "a9", "zab", "a0b", "abq"} <= found
    assert not {"", "abab", "bb a", "xy"} & found
    # itself, 2 deletions, 1 swap, 2 x 35 substitutions, 3 x 36 insertions less the two
    # given twice ("aab" by an "a" before or after the "a", "abb" likewise)
    assert len(found) == 1 + 2 + 1 + 70 + 108 - 2
    assert all(is_one_typo_apart(word, "ab") for word in found)


@pytest.mark.parametrize(
    ("typed", "word", "apart"),
    [
        ("menuiserje", "menuiserie", True),  # substitution
        ("menuisrie", "menuiserie", True),  # deletion
        ("menuisserie", "menuiserie", True),  # insertion
        ("meniuserie", "menuiserie", True),  # transposition
        ("menuiserie", "menuiserie", True),
        ("mneuisrie", "menuiserie", False),  # two typos
        ("charpente", "menuiserie", False),
    ],
)
def test_one_typo_apart_means_one_edit_or_one_swap(typed: str, word: str, apart: bool) -> None:
    assert is_one_typo_apart(typed, word) is apart


@given(st.text(alphabet="abc", max_size=7), st.text(alphabet="abc", max_size=7))
def test_one_typo_away_is_exactly_the_words_one_typo_apart(word: str, other: str) -> None:
    """Why looking the typed word's neighbours up is enough: no word one typo apart is missed,
    and none further away is taken."""
    assert (other in one_typo_away(word)) is is_one_typo_apart(word, other)


@given(st.text(alphabet=WORD_LETTERS, min_size=1, max_size=12), st.data())
def test_every_kind_of_typo_of_a_stored_word_leads_back_to_it(
    word: str, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(word) - 1))
    letter = data.draw(st.sampled_from(WORD_LETTERS))
    typos = [
        word[:position] + letter + word[position + 1 :],
        word[:position] + word[position + 1 :],
        word[:position] + letter + word[position:],
    ]
    if position + 1 < len(word):
        typos.append(word[:position] + word[position + 1] + word[position] + word[position + 2 :])
    for typed in typos:
        assert word in one_typo_away(typed)
