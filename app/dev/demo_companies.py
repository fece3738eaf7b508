"""Fictitious companies with payment outcomes: the demo registry and the benchmarks' data set.

Everything is a function of a seed and a company's position: `demo_company(index, seed)` gives
the company's rows in INSEE's StockUniteLegale and StockEtablissement layout and the way it
pays. `generate_stock` streams them into two stock files; `seed_companies` imports those files
with the real SIRENE import, marks the rows as demo data, and has a few demo creditors report
outcomes for a subset, whose scores it then computes. Seeding again changes nothing.

    python -m app.dev.demo_companies --count 1000000 --scored 20000
    python -m app.dev.demo_companies --count 1000000 --stock-only /tmp/stock
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import itertools
import math
import os
import random
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar

from app.accounts.tables import Organisation
from app.clock import Clock, SystemClock, paris_today
from app.companies.importers import (
    ESTABLISHMENT_COLUMNS,
    UNIT_COLUMNS,
    ImportKind,
    import_file,
    registry_load,
)
from app.companies.rules import MASKED, NATURAL_PERSON_CATEGORY, CompanySource, vat_for
from app.companies.tables import Company
from app.db import bind_engine, engine_for, write_transaction
from app.dev.sirene_files import head_office_record, siren_for, unit_record
from app.piccolo_app import ALL_TABLES
from app.scores.service import recompute_company_score
from app.scores.tables import Outcome
from app.settings import Settings

DEMO_FIRST = 1_000_000  # the nth demo company's SIREN is siren_for(DEMO_FIRST + n)
MAX_COUNT = 3_000_000  # stays below the test factories' SIRENs (siren_for(5,000,000 + n))
CREDITOR_FIRST = 8_000_000  # the demo creditors' SIRENs: siren_for(CREDITOR_FIRST + n)
UNITS_FILE = "StockUniteLegale_utf8.csv"
ESTABLISHMENTS_FILE = "StockEtablissement_utf8.csv"
CEASED_SHARE = 0.08
SOLE_TRADER_SHARE = 0.08
PARTIAL_SHARE = 0.01
WITH_OUTCOMES_SHARE = 2 / 3  # of the public legal persons
HISTORY_DAYS = 730  # due dates spread over the last 24 months
CHUNK_COMPANIES = 200  # companies whose outcomes are written together
INSERT_ROWS = 500  # outcomes per INSERT statement

# Positions of the companies the demo and the tests point at.
BEST, WORST, SOLE_TRADER, PARTIAL, NO_DATA = range(5)
MIN_COUNT = 5
T = TypeVar("T")


class Kind(StrEnum):
    LEGAL = "legal"  # a legal person with public data
    SOLE_TRADER = "sole_trader"  # an entreprise individuelle (catégorie juridique 1000)
    PARTIAL = "partial"  # a unit whose data is partly masked (statutDiffusion P)


class Profile(StrEnum):
    """How a company pays its suppliers."""

    EXEMPLARY = "exemplary"  # early, after good-payer reminders (the best company only)
    PUNCTUAL = "punctual"
    SLIGHTLY_LATE = "slightly_late"
    OFTEN_LATE = "often_late"
    SEVERELY_LATE = "severely_late"
    UNPAID = "unpaid"  # late, with unpaid invoices, one of them published


PROFILE_WEIGHTS: tuple[tuple[Profile, int], ...] = (
    (Profile.PUNCTUAL, 40),
    (Profile.SLIGHTLY_LATE, 25),
    (Profile.OFTEN_LATE, 18),
    (Profile.SEVERELY_LATE, 11),
    (Profile.UNPAID, 6),
)

# --- word lists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sector:
    naf: str  # NAF rév. 2 sous-classe
    trades: tuple[str, ...]  # the words a company of this trade is named with
    weight: int = 1
    legal_category: str = ""  # forced (an SCI is 6540), else drawn from LEGAL_CATEGORIES


SECTORS = (
    Sector("10.71C", ("BOULANGERIE", "BOULANGERIE PATISSERIE", "FOURNIL"), 4),
    Sector("10.71D", ("PATISSERIE", "CHOCOLATERIE"), 2),
    Sector("10.13B", ("CHARCUTERIE", "SALAISONS"), 1),
    Sector("43.32A", ("MENUISERIE", "MENUISERIE BOIS ET ALU"), 3),
    Sector("43.21A", ("ELECTRICITE", "ELEC SERVICES"), 3),
    Sector("43.22A", ("PLOMBERIE", "PLOMBERIE CHAUFFAGE"), 3),
    Sector("43.22B", ("CLIMATISATION", "GENIE CLIMATIQUE"), 1),
    Sector("43.99C", ("MACONNERIE", "MACONNERIE GENERALE"), 3),
    Sector("43.34Z", ("PEINTURE", "PEINTURE ET DECORATION"), 2),
    Sector("43.91B", ("COUVERTURE", "TOITURES"), 2),
    Sector("16.23Z", ("CHARPENTE", "CHARPENTES"), 1),
    Sector("41.20A", ("CONSTRUCTIONS", "BATIMENT"), 2),
    Sector("62.01Z", ("INFORMATIQUE", "LOGICIELS", "DIGITAL"), 4),
    Sector("62.02A", ("CONSEIL INFORMATIQUE", "SYSTEMES"), 2),
    Sector("63.12Z", ("WEB", "MEDIA"), 1),
    Sector("49.41A", ("TRANSPORTS", "TRANSPORTS ROUTIERS"), 4),
    Sector("49.41B", ("MESSAGERIE", "TRANSPORTS EXPRESS"), 2),
    Sector("52.29B", ("LOGISTIQUE", "AFFRETEMENT"), 1),
    Sector("69.20Z", ("CABINET", "EXPERTISE COMPTABLE", "AUDIT"), 3),
    Sector("69.10Z", ("CABINET", "AVOCATS"), 1),
    Sector("70.22Z", ("CONSEIL", "STRATEGIE"), 3),
    Sector("71.12B", ("INGENIERIE", "BUREAU D'ETUDES"), 2),
    Sector("73.11Z", ("AGENCE", "COMMUNICATION"), 2),
    Sector("74.10Z", ("STUDIO", "DESIGN"), 1),
    Sector("56.10A", ("RESTAURANT", "BRASSERIE", "BISTROT"), 4),
    Sector("56.10C", ("SNACK", "PIZZERIA"), 2),
    Sector("56.30Z", ("CAFE", "BAR"), 2),
    Sector("55.10Z", ("HOTEL", "HOSTELLERIE"), 1),
    Sector("47.11F", ("HYPERMARCHE",), 1),
    Sector("47.11B", ("ALIMENTATION", "EPICERIE"), 2),
    Sector("47.73Z", ("PHARMACIE",), 2),
    Sector("47.76Z", ("FLEURS", "JARDINERIE"), 1),
    Sector("45.20A", ("GARAGE", "AUTOMOBILES"), 3),
    Sector("46.90Z", ("DISTRIBUTION", "NEGOCE"), 2),
    Sector("46.73A", ("MATERIAUX", "BOIS ET MATERIAUX"), 1),
    Sector("25.62B", ("MECANIQUE", "USINAGE"), 2),
    Sector("81.21Z", ("NETTOYAGE", "PROPRETE"), 2),
    Sector("96.02A", ("COIFFURE",), 2),
    Sector("86.23Z", ("CABINET DENTAIRE",), 1, "5385"),
    Sector("68.20B", ("SCI", "IMMOBILIERE"), 3, "6540"),
    Sector("01.21Z", ("DOMAINE", "VIGNOBLES"), 1, "6598"),
)
SOLE_TRADER_NAFS = ("43.22A", "43.21A", "43.34Z", "96.02A", "62.01Z", "49.32Z", "74.20Z", "85.59B")


def _names(text: str) -> tuple[str, ...]:
    """Names listed in one string, separated by commas."""
    return tuple(name.strip() for name in text.split(","))


LEGAL_CATEGORIES = (
    ("5710", 32),
    ("5499", 26),
    ("5720", 16),
    ("5498", 13),
    ("5599", 4),
    ("5202", 2),
)
SURNAMES = _names(
    "MARTIN, BERNARD, DUBOIS, THOMAS, ROBERT, RICHARD, PETIT, DURAND, LEROY, MOREAU, SIMON, "
    "LAURENT, LEFEBVRE, MICHEL, GARCIA, DAVID, BERTRAND, ROUX, VINCENT, FOURNIER, MOREL, "
    "GIRARD, ANDRE, MERCIER, DUPONT, LAMBERT, BONNET, FRANCOIS, MARTINEZ, LEGRAND, GARNIER, "
    "FAURE, ROUSSEAU, BLANC, GUERIN, MULLER, HENRY, ROUSSEL, NICOLAS, PERRIN, MORIN, "
    "MATHIEU, CLEMENT, GAUTHIER, DUMONT, LOPEZ, FONTAINE, CHEVALIER, ROBIN, MASSON, SANCHEZ, "
    "GERARD, NGUYEN, BOYER, DENIS, LEMAIRE, DUVAL, JOLY, GAUTIER, ROGER, ROCHE, ROY, NOEL, "
    "MEYER, LUCAS, MEUNIER, JEAN, PEREZ, MARCHAND, DUFOUR, BLANCHARD, MARIE, BARBIER, BRUN, "
    "DUMAS, BRUNET, SCHMITT, LEROUX, COLIN, FERNANDEZ, PIERRE, RENARD, ARNAUD, ROLLAND, "
    "CARON, AUBERT, GIRAUD, LECLERC, VIDAL, BOURGEOIS, RENAUD, LEMOINE, PICARD, GAILLARD, "
    "PHILIPPE, LECLERCQ, LACROIX, FABRE, DUPUIS, OLIVIER, RODRIGUEZ, DA SILVA, HUBERT, "
    "LOUIS, CHARLES, GUILLOT, RIVIERE, LE GALL, GUILLAUME, ADAM, RIOU, LE BIHAN, KERMARREC, "
    "ETCHEVERRY, OLLIVIER, PAOLI, CASANOVA"
)
FIRST_NAMES = (  # (sexeUniteLegale, first names)
    ("M", _names("JEAN, PIERRE, MICHEL, ANDRE, PHILIPPE, NICOLAS, CHRISTOPHE, THOMAS, JULIEN")),
    ("F", _names("MARIE, NATHALIE, ISABELLE, SYLVIE, CATHERINE, SOPHIE, CAMILLE, JULIE, CELINE")),
)
PLACES = (
    "DES HALLES",
    "DU CENTRE",
    "DE LA GARE",
    "DU MARCHE",
    "DU PORT",
    "DES ALPES",
    "DU LITTORAL",
    "DE L'OUEST",
    "DU SUD-OUEST",
    "DE PROVENCE",
    "DE BRETAGNE",
    "D'ALSACE",
    "DU LYONNAIS",
    "DU PAYS BASQUE",
    "DE LA VALLEE",
    "DES COTEAUX",
    "DU VIEUX MOULIN",
    "DE L'ATLANTIQUE",
    "DU RHONE",
    "DE LA LOIRE",
)
SUFFIXES = ("CONSEIL", "SERVICES", "ET FILS", "& ASSOCIES", "FRERES", "GROUPE", "PARTENAIRES")
PREFIXES = ("ETABLISSEMENTS", "ATELIER", "MAISON", "SOCIETE NOUVELLE", "COMPAGNIE")
SIGNS = (
    "AU BON PAIN",
    "LE PETIT ZINC",
    "CHEZ {first}",
    "L'ATELIER DE {first}",
    "LA BONNE ADRESSE",
    "LE COMPTOIR",
    "ESPACE {surname}",
    "AUX DELICES",
)
# (postcode, commune as SIRENE spells it, INSEE commune code, weight)
COMMUNES = (
    ("75011", "PARIS 11", "75111", 5),
    ("75008", "PARIS 8", "75108", 4),
    ("75015", "PARIS 15", "75115", 4),
    ("75017", "PARIS 17", "75117", 3),
    ("69002", "LYON 2EME", "69382", 3),
    ("69007", "LYON 7EME", "69387", 3),
    ("13008", "MARSEILLE 8EME", "13208", 3),
    ("13001", "MARSEILLE 1ER", "13201", 2),
    ("31000", "TOULOUSE", "31555", 3),
    ("33000", "BORDEAUX", "33063", 3),
    ("44000", "NANTES", "44109", 3),
    ("59000", "LILLE", "59350", 3),
    ("67000", "STRASBOURG", "67482", 2),
    ("34000", "MONTPELLIER", "34172", 2),
    ("35000", "RENNES", "35238", 2),
    ("06000", "NICE", "06088", 2),
    ("38000", "GRENOBLE", "38185", 2),
    ("21000", "DIJON", "21231", 1),
    ("49000", "ANGERS", "49007", 1),
    ("37000", "TOURS", "37261", 1),
    ("63000", "CLERMONT-FERRAND", "63113", 1),
    ("87000", "LIMOGES", "87085", 1),
    ("29200", "BREST", "29019", 1),
    ("76000", "ROUEN", "76540", 1),
    ("51100", "REIMS", "51454", 1),
    ("57000", "METZ", "57463", 1),
    ("54000", "NANCY", "54395", 1),
    ("45000", "ORLEANS", "45234", 1),
    ("14000", "CAEN", "14118", 1),
    ("80000", "AMIENS", "80021", 1),
    ("25000", "BESANCON", "25056", 1),
    ("64100", "BAYONNE", "64102", 1),
    ("66000", "PERPIGNAN", "66136", 1),
    ("30000", "NIMES", "30189", 1),
    ("84000", "AVIGNON", "84007", 1),
    ("83000", "TOULON", "83137", 1),
    ("74000", "ANNECY", "74010", 1),
    ("73000", "CHAMBERY", "73065", 1),
    ("42000", "SAINT-ETIENNE", "42218", 1),
    ("17000", "LA ROCHELLE", "17300", 1),
    ("86000", "POITIERS", "86194", 1),
    ("72000", "LE MANS", "72181", 1),
    ("56100", "LORIENT", "56121", 1),
    ("20000", "AJACCIO", "2A004", 1),
    ("20200", "BASTIA", "2B033", 1),
    ("97400", "SAINT-DENIS", "97411", 1),
    ("97200", "FORT-DE-FRANCE", "97209", 1),
    ("92100", "BOULOGNE-BILLANCOURT", "92012", 2),
    ("93200", "SAINT-DENIS", "93066", 1),
    ("94300", "VINCENNES", "94080", 1),
    ("78000", "VERSAILLES", "78646", 1),
    ("95000", "CERGY", "95127", 1),
    ("77000", "MELUN", "77288", 1),
    ("62000", "ARRAS", "62041", 1),
    ("26000", "VALENCE", "26362", 1),
    ("81000", "ALBI", "81004", 1),
    ("12000", "RODEZ", "12202", 1),
    ("24000", "PERIGUEUX", "24322", 1),
    ("65000", "TARBES", "65440", 1),
    ("18000", "BOURGES", "18033", 1),
    ("10000", "TROYES", "10387", 1),
    ("68100", "MULHOUSE", "68224", 1),
    ("01000", "BOURG-EN-BRESSE", "01053", 1),
    ("53000", "LAVAL", "53130", 1),
    ("85000", "LA ROCHE-SUR-YON", "85191", 1),
    ("16000", "ANGOULEME", "16015", 1),
    ("47000", "AGEN", "47001", 1),
)
STREET_TYPES = (("RUE", 10), ("AV", 4), ("BD", 2), ("PL", 1), ("CHE", 1), ("ALL", 1), ("RTE", 1))
STREETS = (
    "DE LA REPUBLIQUE",
    "VICTOR HUGO",
    "JEAN JAURES",
    "DU GENERAL DE GAULLE",
    "PASTEUR",
    "DE LA GARE",
    "GAMBETTA",
    "DU MOULIN",
    "DES ECOLES",
    "NATIONALE",
    "FOCH",
    "DE LA LIBERATION",
    "DES ACACIAS",
    "DU PORT",
    "EMILE ZOLA",
    "DU COMMERCE",
    "DE L'INDUSTRIE",
    "DES TILLEULS",
    "SAINT-MICHEL",
    "DU 8 MAI 1945",
)
COMPLEMENTS = ("ZI DES PORTES", "ZA DU MOULIN", "BATIMENT B", "PARC D'ACTIVITES", "CS 30012")
SIZE_BANDS = (
    ("NN", 30),
    ("00", 12),
    ("01", 18),
    ("02", 14),
    ("03", 10),
    ("11", 8),
    ("12", 5),
    ("21", 2),
    ("22", 1),
)
SOLE_TRADER_BANDS = (("NN", 6), ("00", 2), ("01", 2), ("02", 1))
SIZE_CATEGORIES = {"22": "ETI"}  # categorieEntreprise, PME for the others
# Demo creditors: suppliers whose customers are the demo companies.
CREDITORS = (
    "Fournitures Rhône-Alpes SAS",
    "Imprimerie Moderne du Centre",
    "Bois et Matériaux de l'Ouest",
    "Logiciels Horizon SARL",
    "Transports Lemaire et Fils",
    "Papeterie Générale de Lille",
    "Énergie Services Provence",
    "Atelier Mécanique Girard",
)


class Weighted(Generic[T]):
    """Values drawn in proportion to their weights (the cumulative sums are computed once)."""

    def __init__(self, pairs: Iterable[tuple[T, int]]) -> None:
        values, weights = zip(*pairs, strict=True)
        self.values: tuple[T, ...] = values
        self.cumulative = tuple(itertools.accumulate(weights))

    def draw(self, rng: random.Random) -> T:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


DRAW_PROFILE = Weighted(PROFILE_WEIGHTS)
DRAW_SECTOR = Weighted((sector, sector.weight) for sector in SECTORS)
DRAW_LEGAL_CATEGORY = Weighted(LEGAL_CATEGORIES)
DRAW_SIZE_BAND = Weighted(SIZE_BANDS)
DRAW_SOLE_TRADER_BAND = Weighted(SOLE_TRADER_BANDS)
DRAW_COMMUNE = Weighted((commune[:3], commune[3]) for commune in COMMUNES)
DRAW_STREET_TYPE = Weighted(STREET_TYPES)


# --- one company --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCompany:
    """One fictitious company: its stock-file rows and how it pays (None: no outcome)."""

    index: int
    siren: str
    kind: Kind
    is_active: bool
    profile: Profile | None
    unit: dict[str, str]
    office: dict[str, str]


def demo_siren(index: int) -> str:
    return siren_for(DEMO_FIRST + index)


def _company_rng(index: int, seed: int) -> random.Random:
    return random.Random(seed * 10_000_000 + index)  # noqa: S311 (fictitious data)


def _kind(index: int, rng: random.Random) -> Kind:
    draw = rng.random()
    if index == SOLE_TRADER or (index >= MIN_COUNT and draw < SOLE_TRADER_SHARE):
        return Kind.SOLE_TRADER
    if index == PARTIAL or (index >= MIN_COUNT and draw > 1 - PARTIAL_SHARE):
        return Kind.PARTIAL
    return Kind.LEGAL


def _profile(index: int, kind: Kind, rng: random.Random) -> Profile | None:
    draw = rng.random()
    pick = DRAW_PROFILE.draw(rng)
    fixed = {BEST: Profile.EXEMPLARY, WORST: Profile.UNPAID, SOLE_TRADER: Profile.SLIGHTLY_LATE}
    if index in fixed:
        return fixed[index]
    if index == NO_DATA or kind is not Kind.LEGAL or draw >= WITH_OUTCOMES_SHARE:
        return None
    return pick


def demo_company(index: int, seed: int = 2026) -> DemoCompany:
    """The company at this position, the same for the same seed."""
    rng = _company_rng(index, seed)
    kind = _kind(index, rng)
    is_active = index < MIN_COUNT or rng.random() >= CEASED_SHARE
    profile = _profile(index, kind, rng)
    siren = demo_siren(index)
    unit = _unit(siren, kind, is_active, rng)
    office = _office(siren, kind, is_active, unit, rng)
    return DemoCompany(index, siren, kind, is_active, profile, unit, office)


def demo_companies(count: int, seed: int = 2026) -> Iterator[DemoCompany]:
    if not MIN_COUNT <= count <= MAX_COUNT:
        raise ValueError(f"between {MIN_COUNT} and {MAX_COUNT} demo companies, not {count}")
    for index in range(count):
        yield demo_company(index, seed)


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


# Invented brand words ("KORALIS", "VENTIX"), as most company names have one: without them a
# million names would repeat a few thousand combinations, and no search could tell apart the
# dozens of companies sharing each. Hundreds of thousands of words, like a real registry.
BRAND_ONSETS = _names(
    "B, C, D, F, G, K, L, M, N, P, R, S, T, V, Z, BR, CR, DR, FL, GR, PR, ST, TR, CH, QU"
)
BRAND_VOWELS = ("A", "E", "I", "O", "U", "Y", "AU", "OU", "EO", "IA")
BRAND_ENDINGS = ("", "S", "X", "N", "L", "R", "M", "TECH", "LIS", "VIA", "NEO", "ONE", "IS")


def _brand(rng: random.Random) -> str:
    syllables = "".join(
        rng.choice(BRAND_ONSETS) + rng.choice(BRAND_VOWELS) for _ in range(rng.randint(2, 3))
    )
    return syllables + rng.choice(BRAND_ENDINGS)


def _legal_name(rng: random.Random, sector: Sector) -> str:
    trade = rng.choice(sector.trades)
    surname = rng.choice(SURNAMES)
    pattern = rng.randrange(14)
    if pattern >= 8:  # with a brand: alone, or beside a trade, a surname or a suffix
        brand = _brand(rng)
        return [
            brand,
            f"{brand} {rng.choice(SUFFIXES)}",
            f"{trade} {brand}",
            f"{brand} {trade}",
            f"{brand} {surname}",
            f"{brand} {rng.choice(PLACES)}",
        ][pattern - 8]
    if pattern == 0:
        return f"{trade} {rng.choice(PLACES)}"
    if pattern == 1:
        return f"{trade} {surname} {rng.choice(SUFFIXES)}"
    first = rng.choice(rng.choice(FIRST_NAMES)[1])
    if pattern == 2:
        return f"{first} {surname} {rng.choice(SUFFIXES)}"
    if pattern == 3:
        return f"{rng.choice(PREFIXES)} {surname} {rng.choice(PLACES)}"
    if pattern == 4:
        return f"{surname} & {rng.choice(SURNAMES)}"
    if pattern == 5:
        return f"{trade} {surname} {rng.choice(PLACES)}"
    if pattern == 6:
        return f"{trade} {first} {surname}"
    return f"{trade} {surname}"


def _sigle(name: str) -> str:
    words = [w for w in name.replace("&", " ").replace("'", " ").split() if len(w) > 3]
    return "".join(word[0] for word in words) if len(words) >= 2 else ""


def _unit(siren: str, kind: Kind, is_active: bool, rng: random.Random) -> dict[str, str]:
    sector = DRAW_SECTOR.draw(rng)
    created = _day(rng, date(1965, 1, 1), date(2025, 12, 31))
    if rng.random() < 0.6:  # most units are recent
        created = _day(rng, date(2012, 1, 1), date(2025, 12, 31))
    band = (DRAW_SOLE_TRADER_BAND if kind is Kind.SOLE_TRADER else DRAW_SIZE_BAND).draw(rng)
    employer = band not in ("NN", "00")
    last_change = _day(rng, max(created, date(2019, 1, 1)), date(2026, 3, 31))
    fields: dict[str, str] = {
        "dateCreationUniteLegale": created.isoformat(),
        "trancheEffectifsUniteLegale": band,
        "anneeEffectifsUniteLegale": "2023" if band != "NN" else "",
        "dateDernierTraitementUniteLegale": f"{last_change.isoformat()}T0{rng.randint(1, 9)}:14:07",
        "nombrePeriodesUniteLegale": str(rng.randint(1, 6)),
        "categorieEntreprise": SIZE_CATEGORIES.get(band, "PME"),
        "anneeCategorieEntreprise": "2022",
        "dateDebut": (last_change if not is_active else created).isoformat(),
        "etatAdministratifUniteLegale": "A" if is_active else "C",
        "caractereEmployeurUniteLegale": "O" if employer and is_active else "N",
        "economieSocialeSolidaireUniteLegale": "N",
        "societeMissionUniteLegale": "N" if rng.random() < 0.5 else "",
        "activitePrincipaleUniteLegale": sector.naf,
        "nicSiegeUniteLegale": f"000{rng.randint(1, 4)}{rng.randint(0, 9)}",
    }
    if kind is Kind.SOLE_TRADER:
        fields.update(_person_fields(rng))
    else:
        name = _legal_name(rng, sector)
        fields["denominationUniteLegale"] = name
        fields["categorieJuridiqueUniteLegale"] = sector.legal_category or DRAW_LEGAL_CATEGORY.draw(
            rng
        )
        if rng.random() < 0.15:
            fields["sigleUniteLegale"] = _sigle(name)
        if rng.random() < 0.1:
            fields["denominationUsuelle1UniteLegale"] = _legal_name(rng, sector)
    if kind is Kind.PARTIAL:
        for column in (
            "denominationUniteLegale",
            "sigleUniteLegale",
            "activitePrincipaleUniteLegale",
        ):
            fields[column] = MASKED
        fields["denominationUsuelle1UniteLegale"] = ""
        fields["statutDiffusionUniteLegale"] = "P"
    return unit_record(siren, **fields)


def _person_fields(rng: random.Random) -> dict[str, str]:
    sex, names = rng.choice(FIRST_NAMES)
    first = rng.choice(names)
    second = rng.choice(names)
    return {
        "categorieJuridiqueUniteLegale": NATURAL_PERSON_CATEGORY,
        "denominationUniteLegale": "",
        "nomUniteLegale": rng.choice(SURNAMES),
        "prenom1UniteLegale": first,
        "prenom2UniteLegale": second if second != first else "",
        "prenomUsuelUniteLegale": first,
        "sexeUniteLegale": sex,
        "activitePrincipaleUniteLegale": rng.choice(SOLE_TRADER_NAFS),
        "categorieEntreprise": "PME",
    }


def _office(
    siren: str, kind: Kind, is_active: bool, unit: dict[str, str], rng: random.Random
) -> dict[str, str]:
    postcode, commune, code = DRAW_COMMUNE.draw(rng)
    fields = {
        "nic": unit["nicSiegeUniteLegale"],
        "dateCreationEtablissement": unit["dateCreationUniteLegale"],
        "trancheEffectifsEtablissement": unit["trancheEffectifsUniteLegale"],
        "anneeEffectifsEtablissement": unit["anneeEffectifsUniteLegale"],
        "dateDernierTraitementEtablissement": unit["dateDernierTraitementUniteLegale"],
        "nombrePeriodesEtablissement": unit["nombrePeriodesUniteLegale"],
        "numeroVoieEtablissement": str(rng.randint(1, 180)),
        "indiceRepetitionEtablissement": "B" if rng.random() < 0.04 else "",
        "typeVoieEtablissement": DRAW_STREET_TYPE.draw(rng),
        "libelleVoieEtablissement": rng.choice(STREETS),
        "complementAdresseEtablissement": rng.choice(COMPLEMENTS) if rng.random() < 0.1 else "",
        "codePostalEtablissement": postcode,
        "libelleCommuneEtablissement": commune,
        "codeCommuneEtablissement": code,
        "dateDebut": unit["dateDebut"],
        "etatAdministratifEtablissement": "A" if is_active else "F",
        "activitePrincipaleEtablissement": unit["activitePrincipaleUniteLegale"],
        "caractereEmployeurEtablissement": unit["caractereEmployeurUniteLegale"],
    }
    if kind is not Kind.PARTIAL and rng.random() < 0.12:
        sign = rng.choice(SIGNS)
        first = unit["prenomUsuelUniteLegale"] or rng.choice(FIRST_NAMES[0][1])
        fields["enseigne1Etablissement"] = sign.format(first=first, surname=rng.choice(SURNAMES))
    if kind is Kind.PARTIAL:
        fields["statutDiffusionEtablissement"] = "P"
        for column in (
            "numeroVoieEtablissement",
            "typeVoieEtablissement",
            "libelleVoieEtablissement",
        ):
            fields[column] = MASKED
        fields["indiceRepetitionEtablissement"] = fields["complementAdresseEtablissement"] = ""
    return head_office_record(siren, **fields)


# --- the stock files ----------------------------------------------------------------------------


def generate_stock(directory: Path, *, count: int, seed: int = 2026) -> tuple[Path, Path]:
    """StockUniteLegale and StockEtablissement (head offices) files, written row by row."""
    directory.mkdir(parents=True, exist_ok=True)
    units_path = directory / UNITS_FILE
    offices_path = directory / ESTABLISHMENTS_FILE
    with (
        units_path.open("w", encoding="utf-8", newline="") as units_out,
        offices_path.open("w", encoding="utf-8", newline="") as offices_out,
    ):
        units = csv.writer(units_out, lineterminator="\n")
        offices = csv.writer(offices_out, lineterminator="\n")
        units.writerow(UNIT_COLUMNS)
        offices.writerow(ESTABLISHMENT_COLUMNS)
        for company in demo_companies(count, seed):
            units.writerow([company.unit[column] for column in UNIT_COLUMNS])
            offices.writerow([company.office[column] for column in ESTABLISHMENT_COLUMNS])
    return units_path, offices_path


# --- outcomes -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOutcome:
    creditor: int  # position in CREDITORS
    reference: str
    due_on: date
    amount_cents: int
    settled_on: date | None
    is_verified: bool
    had_good_reminder: bool
    published_on: date | None


def _lateness(profile: Profile, rng: random.Random) -> int:
    """Days between the due date and the payment (negative: early)."""
    if profile is Profile.EXEMPLARY:
        return rng.randint(-30, -5)
    if profile is Profile.PUNCTUAL:
        return rng.randint(-25, 0) if rng.random() < 0.7 else rng.randint(1, 6)
    if profile is Profile.SLIGHTLY_LATE:
        return rng.randint(-5, 0) if rng.random() < 0.3 else rng.randint(5, 25)
    if profile is Profile.OFTEN_LATE:
        return rng.randint(-3, 3) if rng.random() < 0.2 else rng.randint(20, 70)
    return rng.randint(0, 20) if rng.random() < 0.1 else rng.randint(50, 200)


def demo_outcomes(company: DemoCompany, *, today: date, seed: int = 2026) -> list[DemoOutcome]:
    """What the demo creditors report of the company's invoices, due over the last 24 months."""
    profile = company.profile
    if profile is None:
        return []
    rng = random.Random(f"{seed}:outcomes:{company.index}")  # noqa: S311 (fictitious data)
    if company.kind is Kind.SOLE_TRADER:
        creditors, count = [0], 1
    else:
        size = rng.choice((1, 2, 2, 3, 3, 4, 5))
        creditors = sorted(rng.sample(range(len(CREDITORS)), size))
        count = rng.randint(max(size, 3), 12)
    outcomes = []
    for n in range(count):
        due_on = today - timedelta(days=rng.randint(5, HISTORY_DAYS))
        lateness = _lateness(profile, rng)
        settled_on: date | None = due_on + timedelta(days=lateness)
        published_on = None
        if profile is Profile.UNPAID and n == 0:  # unpaid and published after due notice
            due_on = today - timedelta(days=rng.randint(90, HISTORY_DAYS))
            settled_on, published_on = None, due_on + timedelta(days=45)
        elif profile is Profile.UNPAID and rng.random() < 0.3:
            settled_on = None
        if settled_on is not None and settled_on > today:
            settled_on = None  # not paid yet
        euros = round(math.exp(rng.uniform(math.log(150), math.log(80_000))))
        reminded = rng.random() < (0.5 if lateness <= 0 else 0.15)
        outcomes.append(
            DemoOutcome(
                creditor=creditors[n] if n < len(creditors) else rng.choice(creditors),
                reference=f"DEMO-{company.siren}-{n:02d}",
                due_on=due_on,
                amount_cents=euros * 100,
                settled_on=settled_on,
                is_verified=profile is Profile.EXEMPLARY or rng.random() < 0.3,
                had_good_reminder=profile is Profile.EXEMPLARY or reminded,
                published_on=published_on,
            )
        )
    return outcomes


def creditor_siren(position: int) -> str:
    return siren_for(CREDITOR_FIRST + position)


async def demo_creditors(clock: Clock) -> list[int]:
    """The demo creditors' organisation ids, in CREDITORS order: found by SIREN, or created."""
    sirens = [creditor_siren(n) for n in range(len(CREDITORS))]
    rows = await Organisation.select(Organisation.id, Organisation.siren).where(
        Organisation.siren.is_in(sirens)
    )
    found = {row["siren"]: row["id"] for row in rows}
    missing = [
        Organisation(name=name, siren=siren, vat_number=vat_for(siren), created_at=clock.now())
        for name, siren in zip(CREDITORS, sirens, strict=True)
        if siren not in found
    ]
    if missing:
        await Organisation.insert(*missing)
        return await demo_creditors(clock)
    return [found[siren] for siren in sirens]


OUTCOME_FIELDS = (
    "company",
    "due_on",
    "amount_cents",
    "settled_on",
    "is_verified",
    "had_good_reminder",
    "published_on",
)


def _outcome_values(company_id: int, outcome: DemoOutcome) -> tuple[Any, ...]:
    return (
        company_id,
        outcome.due_on,
        outcome.amount_cents,
        outcome.settled_on,
        outcome.is_verified,
        outcome.had_good_reminder,
        outcome.published_on,
    )


async def _write_outcomes(
    chunk: Sequence[DemoCompany], creditors: Sequence[int], *, clock: Clock, seed: int
) -> tuple[list[int], int]:
    """Upsert the chunk's outcomes, drop the demo creditors' others, and count the changes.

    Returns the chunk's company ids and the number of outcomes; a company whose outcomes did
    not change is left as it was, so seeding again recomputes nothing.
    """
    today = paris_today(clock)
    rows = await Company.select(Company.id, Company.siren).where(
        Company.siren.is_in([company.siren for company in chunk])
    )
    ids = {row["siren"]: row["id"] for row in rows}
    wanted: dict[tuple[int, str], tuple[Any, ...]] = {}
    for company in chunk:
        for outcome in demo_outcomes(company, today=today, seed=seed):
            key = (creditors[outcome.creditor], outcome.reference)
            wanted[key] = _outcome_values(ids[company.siren], outcome)
    stored = await Outcome.select(
        Outcome.id,
        Outcome.organisation,
        Outcome.reference,
        *(getattr(Outcome, name) for name in OUTCOME_FIELDS),
    ).where(Outcome.company.is_in(list(ids.values())) & Outcome.organisation.is_in(list(creditors)))
    have = {
        (row["organisation"], row["reference"]): tuple(row[name] for name in OUTCOME_FIELDS)
        for row in stored
    }
    stale = [row for row in stored if (row["organisation"], row["reference"]) not in wanted]
    changed = {key: values for key, values in wanted.items() if have.get(key) != values}
    touched = {values[0] for values in changed.values()} | {row["company"] for row in stale}
    if stale:
        await Outcome.delete().where(Outcome.id.is_in([row["id"] for row in stale]))
    if changed:
        await _upsert(changed, clock=clock)
    if touched:
        await Company.update({Company.outcome_changes: Company.outcome_changes + 1}).where(
            Company.id.is_in(sorted(touched))
        )
    with_outcomes = sorted({values[0] for values in wanted.values()})
    return with_outcomes, len(wanted)


async def _upsert(rows: dict[tuple[int, str], tuple[Any, ...]], *, clock: Clock) -> None:
    updated_at = clock.now()
    items = list(rows.items())
    columns = [getattr(Outcome, name) for name in OUTCOME_FIELDS] + [Outcome.updated_at]
    for start in range(0, len(items), INSERT_ROWS):
        batch = [
            Outcome(
                {
                    Outcome.organisation: organisation,
                    **dict(zip(columns, (*values, updated_at), strict=True)),
                },
                reference=reference,
            )
            for (organisation, reference), values in items[start : start + INSERT_ROWS]
        ]
        await Outcome.insert(*batch).on_conflict(
            target=(Outcome.organisation, Outcome.reference), action="DO UPDATE", values=columns
        )


# --- seeding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoReport:
    companies: int
    scored: int  # companies with outcomes and a public score
    outcomes: int
    creditors: int
    sole_trader: str
    partial: str
    no_data: str  # a public legal person nobody reported on
    best: str  # always pays early
    worst: str  # an unpaid invoice published on its page


def _with_outcomes(count: int, seed: int, scored: int | None) -> Iterator[DemoCompany]:
    """The companies given outcomes: the sole trader, and up to `scored` public legal persons."""
    legal = 0
    for company in demo_companies(count, seed):
        full = scored is not None and legal >= scored
        if full and company.index > SOLE_TRADER:
            return
        if company.profile is None or (full and company.kind is Kind.LEGAL):
            continue
        legal += company.kind is Kind.LEGAL
        yield company


async def seed_outcomes(
    *, count: int, clock: Clock, seed: int = 2026, scored: int | None = None
) -> tuple[int, int, int]:
    """Outcomes for the seeded companies, then their scores: (scored, outcomes, creditors)."""
    creditors = await demo_creditors(clock)
    companies = outcomes = 0
    chunk: list[DemoCompany] = []
    stream = _with_outcomes(count, seed, scored)
    while True:
        chunk = [company for _, company in zip(range(CHUNK_COMPANIES), stream, strict=False)]
        if not chunk:
            break
        async with write_transaction(Outcome._meta.db):  # one connection for the whole chunk
            company_ids, written = await _write_outcomes(chunk, creditors, clock=clock, seed=seed)
            for company_id in company_ids:
                await recompute_company_score(company_id=company_id, clock=clock)
        outcomes += written
        companies += sum(1 for company in chunk if company.kind is Kind.LEGAL)
    return companies, outcomes, len(creditors)


async def seed_companies(
    *,
    count: int,
    clock: Clock,
    directory: Path | None = None,
    outcomes: bool = True,
    seed: int = 2026,
    scored: int | None = None,
) -> DemoReport:
    """Import `count` demo companies through the SIRENE import, then their outcomes and scores.

    `directory` keeps the stock files (a temporary one by default); `scored` caps the number of
    companies given outcomes. Seeding again with the same arguments on the same day changes
    nothing.
    """
    if directory is None:
        with tempfile.TemporaryDirectory(prefix="ponctuel-demo-") as scratch:
            return await seed_companies(
                count=count,
                clock=clock,
                directory=Path(scratch),
                outcomes=outcomes,
                seed=seed,
                scored=scored,
            )
    units, offices = generate_stock(directory, count=count, seed=seed)
    async with registry_load(clock) as load:
        await import_file(units, ImportKind.UNITS, clock=clock, load=load)
        await import_file(offices, ImportKind.ESTABLISHMENTS, clock=clock, load=load)
    await Company.update({Company.source: CompanySource.DEMO}).where(
        (Company.siren >= demo_siren(0))
        & (Company.siren <= demo_siren(count - 1))
        & (Company.source != CompanySource.DEMO)
    )
    scored_count = outcome_count = creditor_count = 0
    if outcomes:
        scored_count, outcome_count, creditor_count = await seed_outcomes(
            count=count, clock=clock, seed=seed, scored=scored
        )
    return DemoReport(
        companies=count,
        scored=scored_count,
        outcomes=outcome_count,
        creditors=creditor_count,
        sole_trader=demo_siren(SOLE_TRADER),
        partial=demo_siren(PARTIAL),
        no_data=demo_siren(NO_DATA),
        best=demo_siren(BEST),
        worst=demo_siren(WORST),
    )


# --- command line -------------------------------------------------------------------------------


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.dev.demo_companies", description="Seed fictitious demo companies."
    )
    parser.add_argument("--count", type=int, default=3000, help="companies to generate")
    parser.add_argument("--scored", type=int, default=None, help="cap on companies with outcomes")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-outcomes", action="store_true", help="import the companies only")
    parser.add_argument(
        "--stock-only", type=Path, metavar="DIR", help="only write the stock files into DIR"
    )
    return parser.parse_args(argv)


async def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    if args.stock_only is not None:
        for path in generate_stock(args.stock_only, count=args.count, seed=args.seed):
            print(path)
        return 0
    settings = Settings.from_env(os.environ)
    if settings.is_production:
        print("refusing to seed demo data in production", file=sys.stderr)
        return 1
    bind_engine(engine_for(settings), ALL_TABLES)
    report = await seed_companies(
        count=args.count,
        clock=SystemClock(),
        outcomes=not args.no_outcomes,
        seed=args.seed,
        scored=args.scored,
    )
    for name, value in asdict(report).items():
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
