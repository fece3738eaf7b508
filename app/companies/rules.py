"""Identifiers of French companies: SIREN, SIRET and intra-community VAT numbers."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from rapidfuzz.distance import OSA
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva

from app.companies.nomenclature import naf_sections

SIREN_LENGTH = 9
# INSEE numbers legal units with an eight-digit sequence number followed by a Luhn key, and
# hands out sequence numbers from 00000001 up: the all-zero sequence is never attributed.
# It is the only sequence whose Luhn-valid number (000000000) looks well formed.
NEVER_ATTRIBUTED_SEQUENCES = frozenset({"00000000"})
_SEPARATORS = " .-\u00a0\u202f"  # what people type between the groups of digits


class SirenProblem(StrEnum):
    """Why a text is not the SIREN of a company."""

    FORMAT = "format"  # not nine digits
    CHECKSUM = "checksum"  # nine digits with a wrong Luhn key: a typing mistake
    NEVER_ATTRIBUTED = "never_attributed"  # well formed, but INSEE never gives it out


class InvalidIdentifier(ValueError):
    """The text is not a valid SIREN or VAT number."""


class UnattributedSiren(InvalidIdentifier):
    """Nine digits with a valid key that INSEE never attributes to any company."""


def compact_siren(text: str) -> str:
    """The text without the spaces, dots and dashes typed between groups of digits."""
    return "".join(char for char in text.strip() if char not in _SEPARATORS)


def siren_problem(text: str) -> SirenProblem | None:
    """None when the text is a SIREN INSEE can have attributed, else what is wrong with it."""
    digits = compact_siren(text)
    if len(digits) != SIREN_LENGTH or not (digits.isascii() and digits.isdigit()):
        return SirenProblem.FORMAT
    if not luhn.is_valid(digits):
        return SirenProblem.CHECKSUM
    if digits[:-1] in NEVER_ATTRIBUTED_SEQUENCES:
        return SirenProblem.NEVER_ATTRIBUTED
    return None


def normalise_siren(text: str) -> str:
    """Nine digits with a valid Luhn key that INSEE may attribute; separators are ignored."""
    problem = siren_problem(text)
    if problem is SirenProblem.NEVER_ATTRIBUTED:
        raise UnattributedSiren(f"{compact_siren(text)} is never attributed by INSEE")
    if problem is not None:
        raise InvalidIdentifier(f"not a SIREN ({problem})")
    return compact_siren(text)


def format_siren(siren: str) -> str:
    """A SIREN as it is printed, in groups of three that never break: 552 120 222.

    Any other text (none, or a number typed wrong) is shown as it is.
    """
    if len(compact_siren(siren)) != SIREN_LENGTH:
        return siren
    return str(stdnum_siren.format(siren)).replace(" ", "\u00a0")


def withdrawn_siren_marker(organisation_id: int) -> str:
    """What stands in the SIREN column of an organisation whose SIREN was withdrawn.

    Nine digits (the id, then a key one off the Luhn key), so it fits the column, is unique
    per organisation and can never be a real SIREN: every real SIREN has a valid key.
    """
    if not 0 < organisation_id < 10 ** (SIREN_LENGTH - 1):
        raise ValueError("organisation id out of range for a withdrawn-SIREN marker")
    body = f"{organisation_id:0{SIREN_LENGTH - 1}d}"
    wrong_key = (int(luhn.calc_check_digit(body)) + 1) % 10
    return f"{body}{wrong_key}"


def vat_for(siren: str) -> str:
    """The French VAT number derived from a SIREN (numeric key), e.g. FR44732829320."""
    return "FR" + str(stdnum_siren.to_tva(normalise_siren(siren)))


def normalise_vat(text: str) -> str:
    """A French VAT number checked with the full algorithm (alphanumeric keys accepted)."""
    try:
        return "FR" + str(stdnum_tva.validate(text))
    except ValidationError as error:
        raise InvalidIdentifier(str(error)) from error


class Diffusion(StrEnum):
    """SIRENE's `statutDiffusion`: public, or partly masked at the person's request."""

    PUBLIC = "O"
    PARTIAL = "P"


class CompanySource(StrEnum):
    """Where a registry row came from."""

    SIRENE = "sirene"  # the INSEE stock files
    SIREN_ONLY = "siren_only"  # created from a SIREN alone (a creditor's debtor), details unknown
    DEMO = "demo"  # the fictitious companies of the demo data


NATURAL_PERSON_CATEGORY = "1000"  # catégorie juridique of an entreprise individuelle
SLUG_MAX = 120


def is_scored(*, diffusion: Diffusion, is_natural_person: bool) -> bool:
    """Only a legal person whose data is public gets a public score (and a publication).

    A sole trader, or a unit whose data is partly masked at a person's request, is shown by
    its SIREN and commune only.
    """
    return diffusion is Diffusion.PUBLIC and not is_natural_person


_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Letters NFKD does not split into a base letter and an accent.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L"}
)


def _ascii_lower(text: str) -> str:
    """The text in lower-case ASCII: accents dropped, ligatures spelt out, the rest removed."""
    folded = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return folded.encode("ascii", "ignore").decode().lower()


def company_slug(name: str) -> str:
    """The readable part of a company's address: `Société Générale` → `societe-generale`."""
    return _NOT_SLUG.sub("-", _ascii_lower(name)).strip("-")[:SLUG_MAX].rstrip("-")


# --- the INSEE directory's records ---------------------------------------------------------------


def page_reference(siren: str, slug: str, *, is_restricted: bool) -> str:
    """The company page's address: `<siren>-<slug>`, or the bare SIREN when no name may show."""
    return siren if is_restricted or not slug else f"{siren}-{slug}"


MASKED = "[ND]"  # what SIRENE writes in place of a field a person asked to hide
NAF_REV2 = "NAFRev2"


class BadRecord(ValueError):
    """A row of a SIRENE file that cannot be a legal unit or an establishment."""


@dataclass(frozen=True)
class BadRow:
    """A row of a SIRENE file left out by the import, and why."""

    line: int
    reason: str


@dataclass(frozen=True)
class CompanyFacts:
    """What the registry keeps of one legal unit of `StockUniteLegale`."""

    siren: str
    name: str
    sigle: str
    usual_names: str
    legal_category: str
    naf_code: str
    naf_nomenclature: str
    created_on: date | None
    size_band: str
    is_active: bool
    diffusion: Diffusion
    is_natural_person: bool
    slug: str
    name_norm: str  # the name as search compares it
    sigle_norm: str
    other_names_norm: str  # sigle and usual names, likewise


@dataclass(frozen=True)
class HeadOfficeFacts:
    """What the registry keeps of a unit's head office (`StockEtablissement`, siège)."""

    siren: str
    address: str
    postcode: str
    commune: str
    departement: str
    signs: str  # enseignes and the establishment's usual name
    other_names_norm: str = ""  # set by the import, with the unit's sigle and usual names


# Around a field: ASCII blanks only, the same on both engines (the PostgreSQL import trims in SQL).
FIELD_BLANKS = string.whitespace
_NINE_DIGITS = re.compile(r"[0-9]{9}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _field(record: Mapping[str, str], column: str) -> str:
    return (record.get(column) or "").strip(FIELD_BLANKS)


def _public(value: str | None) -> str:
    """The value, or nothing when SIRENE masked it."""
    text = (value or "").strip(FIELD_BLANKS)
    return "" if text == MASKED else text


# Why a row is refused, in the same words whichever engine's import found it.
def bad_siren(siren: str) -> BadRecord:
    return BadRecord(f"SIREN {siren!r} is not nine digits")


def bad_diffusion(code: str) -> BadRecord:
    return BadRecord(f"diffusion status {code!r} is neither O nor P")


def bad_state(state: str) -> BadRecord:
    return BadRecord(f"administrative state {state!r} is neither A nor C")


def bad_day(value: str) -> BadRecord:
    return BadRecord(f"date {value!r} is not YYYY-MM-DD")


def _siren_of(record: Mapping[str, str]) -> str:
    siren = _field(record, "siren")
    if not _NINE_DIGITS.fullmatch(siren):
        raise bad_siren(siren)
    return siren


def _day(value: str) -> date | None:
    """A date written YYYY-MM-DD (anything after the tenth character is ignored)."""
    if not value:
        return None
    try:
        if not _ISO_DAY.fullmatch(value[:10]):
            raise ValueError(value)
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise bad_day(value) from error


def _joined(values: Iterable[str], limit: int) -> str:
    unique = list(dict.fromkeys(value for value in values if value))
    return " | ".join(unique)[:limit]


def company_from_unit(record: Mapping[str, str]) -> CompanyFacts:
    """A legal unit's row, without anything masked and without any person's name.

    A partly diffused unit (`P`) keeps its identifier, status and category only; a natural
    person (category 1000) keeps no name at all, so neither can be found by name. The key of a
    SIREN is not checked: the directory is the authority on its own numbers.
    """
    siren = _siren_of(record)
    diffusion_code = _field(record, "statutDiffusionUniteLegale")
    try:
        diffusion = Diffusion(diffusion_code)
    except ValueError as error:
        raise bad_diffusion(diffusion_code) from error
    state = _field(record, "etatAdministratifUniteLegale")
    if state not in ("A", "C"):
        raise bad_state(state)
    category = _public(record.get("categorieJuridiqueUniteLegale"))
    is_natural_person = category == NATURAL_PERSON_CATEGORY
    shows_names = diffusion is Diffusion.PUBLIC and not is_natural_person
    name = (_public(record.get("denominationUniteLegale")) if shows_names else "")[:250]
    sigle = (_public(record.get("sigleUniteLegale")) if shows_names else "")[:50]
    usual = (
        _joined((_public(record.get(f"denominationUsuelle{n}UniteLegale")) for n in (1, 2, 3)), 500)
        if shows_names
        else ""
    )
    public_details = diffusion is Diffusion.PUBLIC
    return CompanyFacts(
        siren=siren,
        name=name,
        sigle=sigle,
        usual_names=usual,
        legal_category=category[:4],
        naf_code=_public(record.get("activitePrincipaleUniteLegale"))[:8] if public_details else "",
        naf_nomenclature=(
            _public(record.get("nomenclatureActivitePrincipaleUniteLegale"))[:8]
            if public_details
            else ""
        ),
        created_on=_day(_public(record.get("dateCreationUniteLegale"))) if public_details else None,
        size_band=_public(record.get("trancheEffectifsUniteLegale"))[:2] if public_details else "",
        is_active=state == "A",
        diffusion=diffusion,
        is_natural_person=is_natural_person,
        slug=company_slug(name),
        name_norm=normalise_name(name),
        sigle_norm=normalise_name(sigle),
        other_names_norm=other_names_norm(sigle, usual, ""),
    )


def departement_of(commune_code: str, postcode: str) -> str:
    """The département from the INSEE commune code (2A, 2B, 971…), else from the postcode."""
    code = commune_code or postcode
    if len(code) != 5:
        return ""
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20") and not commune_code:  # a Corsican postcode: 200xx-201xx is 2A
        return "2A" if code[2] in "01" else "2B"
    return code[:2]


def is_head_office(record: Mapping[str, str]) -> bool:
    """An establishment's row is its unit's head office (`etablissementSiege`)."""
    return _field(record, "etablissementSiege").lower() == "true"


def head_office_from_establishment(
    record: Mapping[str, str], *, commune_only: bool
) -> HeadOfficeFacts | None:
    """The head office's address and signs; None for any other establishment.

    `commune_only` for a natural person (whose head office is often their home) and for a
    unit partly masked: only the postcode, commune and département are kept.
    """
    if not is_head_office(record):
        return None
    siren = _siren_of(record)
    postcode = _public(record.get("codePostalEtablissement"))[:5]
    commune = _public(record.get("libelleCommuneEtablissement"))[:100]
    partial = _field(record, "statutDiffusionEtablissement") != Diffusion.PUBLIC
    street = ""
    signs = ""
    if not (commune_only or partial):
        street = " ".join(
            part
            for part in (
                _public(record.get("numeroVoieEtablissement")),
                _public(record.get("indiceRepetitionEtablissement")),
                _public(record.get("typeVoieEtablissement")),
                _public(record.get("libelleVoieEtablissement")),
            )
            if part
        )
        complement = _public(record.get("complementAdresseEtablissement"))
        street = ", ".join(part for part in (complement, street) if part)[:500]
        signs = _joined(
            (
                _public(record.get(column))
                for column in (
                    "enseigne1Etablissement",
                    "enseigne2Etablissement",
                    "enseigne3Etablissement",
                    "denominationUsuelleEtablissement",
                )
            ),
            500,
        )
    return HeadOfficeFacts(
        siren=siren,
        address=street,
        postcode=postcode,
        commune=commune,
        departement=departement_of(_public(record.get("codeCommuneEtablissement")), postcode),
        signs=signs,
    )


# --- search -------------------------------------------------------------------------------------

QUERY_MAX = 200  # characters of a search kept: no name is longer
NAME_QUERY_MIN = 2  # fewer characters match too much to be worth a search
# Both read the folded text (ASCII only), so PostgreSQL's regular expressions, which the import
# runs in SQL, find exactly the same matches.
_ELISION = re.compile(r"(?<![0-9a-z_])(?:[ldjmnst]|qu|jusqu|lorsqu|puisqu)['`]")
_DOTTED = re.compile(r"(?<![0-9a-z_])([0-9a-z_])\.(?=[0-9a-z_](?![0-9a-z_]))")  # R.P.S., S.N.C.F
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def normalise_name(text: str) -> str:
    """A name as search compares it: lower-case ASCII words, whatever was typed.

    Accents, case, punctuation and spacing are ignored; French elisions go (`l'`, `d'`,
    `qu'`, straight or typographic apostrophe), and a dotted sigle is one word ("R.P.S." is
    "rps": a dot between two single letters goes). Legal-form words stay: they are neither
    required nor harmful. `ponctuel_normalise_name` in SQL is the same function.
    """
    text = _ascii_lower(text.replace("’", "'"))
    text = _DOTTED.sub(r"\1", _ELISION.sub("", text))
    return " ".join(_NOT_WORD.sub(" ", text).split())


class QueryKind(StrEnum):
    EMPTY = "empty"  # nothing worth searching for
    SIREN = "siren"  # a SIREN, a SIRET or a VAT number: one company at most
    NAME = "name"


@dataclass(frozen=True)
class SearchQuery:
    kind: QueryKind
    siren: str = ""
    words: tuple[str, ...] = ()  # the normalised words of a name, the last one maybe a prefix


_IDENTIFIER_SEPARATORS = " .-\u00a0\u202f"


def parse_query(text: str) -> SearchQuery:
    """What a search box's text asks for.

    Nine digits with a valid key are a SIREN, fourteen a SIRET (its company's SIREN), `FR`, a
    key and a SIREN a VAT number; spaces and dots may separate the groups. Anything else is
    a name, searched by its normalised words. Control characters are dropped and the text is
    cut at QUERY_MAX characters, so no input is an error.
    """
    text = "".join(char for char in text[: QUERY_MAX * 2] if char.isprintable())[:QUERY_MAX]
    compact = "".join(char for char in text if char not in _IDENTIFIER_SEPARATORS).upper()
    siren = _siren_in(compact)
    if siren:
        return SearchQuery(kind=QueryKind.SIREN, siren=siren)
    words = tuple(normalise_name(text).split())
    if sum(len(word) for word in words) < NAME_QUERY_MIN:
        return SearchQuery(kind=QueryKind.EMPTY)
    return SearchQuery(kind=QueryKind.NAME, words=words)


def _siren_in(compact: str) -> str:
    """The SIREN a compact identifier names, or "" when it names none."""
    if compact.isdigit() and compact.isascii():
        if len(compact) == SIREN_LENGTH and siren_problem(compact) is None:
            return compact
        if len(compact) == SIRET_LENGTH and is_valid_siret(compact):
            return compact[:SIREN_LENGTH]
        return ""
    if compact.startswith("FR") and len(compact) == 13:
        try:
            vat = normalise_vat(compact)
        except InvalidIdentifier:
            return ""
        siren = vat[4:]
        return siren if siren_problem(siren) is None else ""
    return ""


SIRET_LENGTH = 14


def is_valid_siret(siret: str) -> bool:
    """Fourteen digits with a valid key, La Poste's establishments included (python-stdnum)."""
    return bool(stdnum_siret.is_valid(siret)) and siren_problem(siret[:SIREN_LENGTH]) is None


OTHER_NAMES_NORM_MAX = 1100


def other_names_norm(sigle: str, usual_names: str, signs: str) -> str:
    """The sigle, usual names and head office's signs, as search compares them."""
    return normalise_name(" ".join((sigle, usual_names, signs)))[:OTHER_NAMES_NORM_MAX]


# --- typo tolerance -----------------------------------------------------------------------------

TYPO_MIN_LENGTH = 4  # shorter words are too many one typo apart to guess which was meant
TYPO_MAX_LENGTH = 30
WORD_LETTERS = string.digits + string.ascii_lowercase  # what normalised names are made of


def is_typo_word(word: str) -> bool:
    """Whether a word is one typo tolerance looks at: the vocabulary holds every such word of
    the registry's names, and a typed one may be taken for a stored one a typo away."""
    return TYPO_MIN_LENGTH <= len(word) <= TYPO_MAX_LENGTH


def vocabulary_words(names: Iterable[str]) -> set[str]:
    """The words of these normalised names that the typo vocabulary (search_word) holds."""
    return {word for name in names for word in name.split() if is_typo_word(word)}


def one_typo_away(word: str) -> set[str]:
    """The word and every word of WORD_LETTERS at most one typo from it (a substitution, a
    missing or an extra letter, two neighbours swapped): the words a typed one may mean.

    About 70 per letter of the word, all looked up at once in the vocabulary: storing only
    the words themselves keeps the vocabulary a tenth of the size it would be with each word's
    own variants, and a registry's first load that much faster.
    """
    found = {word}
    for at in range(len(word) + 1):
        head, tail = word[:at], word[at:]
        found.update(head + letter + tail for letter in WORD_LETTERS)  # a letter missing
        if tail:
            found.add(head + tail[1:])  # a letter too many
            found.update(head + letter + tail[1:] for letter in WORD_LETTERS)  # a wrong one
        if len(tail) >= 2:
            found.add(head + tail[1] + tail[0] + tail[2:])  # two letters swapped
    return found


def is_one_typo_apart(typed: str, word: str) -> bool:
    """At most one substitution, missing or extra letter, or swap of two neighbours."""
    return bool(OSA.distance(typed, word, score_cutoff=1) <= 1)


# --- search filters ------------------------------------------------------------------------------

_DEPARTEMENT = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])")
_POSTCODE_PREFIX = re.compile(r"\d{2,5}")
_NAF_PREFIX = re.compile(r"\d{2}(?:\.\d{0,2}[A-Z]?)?")


class FilterProblem(StrEnum):
    PLACE = "place"  # neither a département nor the start of a postcode
    ACTIVITY = "activity"  # neither a NAF section, nor a NAF code or its first digits
    STATE = "state"


@dataclass(frozen=True)
class SearchFilters:
    departement: str = ""
    postcode: str = ""  # a postcode, or its first digits
    naf: str = ""  # a NAF code, or its first characters (a division: "62")
    naf_section: str = ""  # a NAF section letter: its range of divisions
    is_active: bool | None = None


NO_FILTERS = SearchFilters()
STATES: dict[str, bool | None] = {"": None, "actives": True, "cessees": False}


class BadFilter(ValueError):
    def __init__(self, problem: FilterProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def parse_filters(*, place: str = "", activity: str = "", state: str = "") -> SearchFilters:
    """The filters of a search form: `place` a département (`69`, `2A`, `974`) or a postcode
    or its start (`690`), `activity` a NAF section (`J`), division (`62`) or code (`62.01Z`,
    `6201Z`), `state` one of STATES. Raises BadFilter naming the field it cannot read."""
    place = place.strip().upper()
    activity = activity.strip().upper().replace(" ", "")
    departement = postcode = naf = section = ""
    if len(place) > 2 and _POSTCODE_PREFIX.fullmatch(place):
        postcode = place  # overseas départements (974) are the start of their postcodes
    elif _DEPARTEMENT.fullmatch(place):
        departement = place
    elif place:
        raise BadFilter(FilterProblem.PLACE)
    if activity:
        if activity in {letter for letter, _ in naf_sections()}:
            section = activity
        else:
            if len(activity) >= 4 and activity[2] != ".":
                activity = activity[:2] + "." + activity[2:]
            if not _NAF_PREFIX.fullmatch(activity):
                raise BadFilter(FilterProblem.ACTIVITY)
            naf = activity
    if state not in STATES:
        raise BadFilter(FilterProblem.STATE)
    return SearchFilters(
        departement=departement,
        postcode=postcode,
        naf=naf,
        naf_section=section,
        is_active=STATES[state],
    )
