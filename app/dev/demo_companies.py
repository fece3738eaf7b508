"""Fictitious companies with payment outcomes: the demo registry and the benchmark data set.

Company n is drawn from a random generator seeded with n alone, its outcomes from one seeded
with n and dated back from a `today` the caller gives, so the same n and day always give the
same rows, and any slice of the range can be made on its own (by worker processes too). The
units go through the SIRENE import's own rules (`company_from_unit`,
`head_office_from_establishment`), so what is stored of a sole trader or a partly diffused unit
is exactly what the import would store. Their SIRENs, `siren_for(8,000,000 + n)`, start with 9,
which INSEE never attributes, and their source is `demo`, which the pages flag as fictitious.

The writer stores companies, search words, outcomes and scores by batches of one transaction
each, with the import's fast paths (COPY on PostgreSQL, executemany on SQLite). A batch whose
companies are all there already is skipped, so a second run writes nothing and an interrupted
one carries on.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import os
import random
import sys
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from itertools import accumulate
from typing import Any, Generic, TypeVar

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.utils.encoding import dump_json

from app.accounts.tables import Organisation
from app.clock import Clock, SystemClock, paris_today
from app.companies.importers import UNIT_FIELDS
from app.companies.rules import (
    NAF_REV2,
    NATURAL_PERSON_CATEGORY,
    CompanyFacts,
    CompanySource,
    Diffusion,
    HeadOfficeFacts,
    company_from_unit,
    head_office_from_establishment,
    is_scored,
    normalise_name,
    other_names_norm,
    search_word_rows,
    vat_for,
)
from app.companies.tables import Company
from app.db import bind_engine, engine_for
from app.dev.sirene_files import siren_for
from app.piccolo_app import ALL_TABLES
from app.scores import rules
from app.scores.service import _contributions_json
from app.settings import Settings

DEMO_SIRENS = 8_000_000  # company n has siren_for(DEMO_SIRENS + n): 98000000k and up
MAX_COMPANIES = 2_000_000  # siren_for numbers up to 9,999,999
CREDITOR_SIRENS = 7_990_000  # the demo creditors': apart from the companies and the factories'
BATCH = 5_000
OUTCOME_MONTHS = 30
PARALLEL_FROM = 50_000  # companies from which the pure part runs in worker processes

_SEED = 0x5EED_0000  # changing it changes every demo company
_COMPANY_STREAM, _OUTCOME_STREAM = 0, 1


def _rng(n: int, stream: int) -> random.Random:
    """The generator of one company's draws: reproducible, for demo data only."""
    return random.Random(_SEED + 2 * n + stream)  # noqa: S311 (not a secret: reproducible data)


def demo_siren(n: int) -> str:
    """The SIREN of demo company n."""
    if not 0 <= n < MAX_COMPANIES:
        raise ValueError(f"demo companies are numbered 0 to {MAX_COMPANIES - 1}, not {n}")
    return siren_for(DEMO_SIRENS + n)


T = TypeVar("T")


class _Weighted(Generic[T]):
    """Items drawn in proportion to their weights (cumulated once, not at every draw)."""

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(accumulate(weights))

    def pick(self, rng: random.Random) -> T:
        return rng.choices(self.items, cum_weights=self.cumulative)[0]


# --- word lists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Activity:
    naf: str  # NAF rév. 2 code, as SIRENE writes it
    trade: str  # the word a name starts with: "Boulangerie Martin"
    field: str  # what a "Société …" does: "Société Lyonnaise de Transports"
    weight: int  # how common it is among the demo companies
    signs: tuple[str, ...] = ()  # a shop's enseignes ({first}: a first name)


ACTIVITIES: tuple[Activity, ...] = (
    Activity("01.21Z", "Domaine", "Viticole", 2),
    Activity("02.20Z", "Exploitation Forestière", "d'Exploitation Forestière", 1),
    Activity(
        "10.71C",
        "Boulangerie",
        "de Boulangerie",
        5,
        ("Au Pain Doré", "Le Fournil de {first}", "Aux Délices du Four"),
    ),
    Activity("10.71D", "Pâtisserie", "de Pâtisserie", 2, ("Les Douceurs de {first}",)),
    Activity("10.13B", "Charcuterie", "de Salaisons", 1),
    Activity("16.10A", "Scierie", "de Sciage", 1),
    Activity("17.21A", "Cartonnages", "d'Emballage", 1),
    Activity("18.12Z", "Imprimerie", "d'Impression", 2),
    Activity("22.29A", "Plasturgie", "de Plasturgie", 1),
    Activity("25.11Z", "Métallerie", "de Constructions Métalliques", 2),
    Activity("25.62B", "Mécanique", "de Mécanique de Précision", 2),
    Activity("31.09B", "Ébénisterie", "d'Ameublement", 1),
    Activity("33.12Z", "Maintenance Industrielle", "de Maintenance Industrielle", 2),
    Activity("41.20A", "Constructions", "de Construction", 3),
    Activity("43.12A", "Terrassement", "de Terrassement", 2),
    Activity("43.21A", "Électricité", "d'Électricité", 5),
    Activity("43.22A", "Plomberie", "de Plomberie", 4),
    Activity("43.22B", "Chauffage", "de Chauffage et Climatisation", 2),
    Activity("43.32A", "Menuiserie", "de Menuiserie", 4),
    Activity("43.33Z", "Carrelage", "de Revêtements", 2),
    Activity("43.34Z", "Peinture", "de Peinture et Décoration", 3),
    Activity("43.91B", "Couverture", "de Couverture", 2),
    Activity("43.99C", "Maçonnerie", "de Maçonnerie", 4),
    Activity("45.20A", "Garage", "de Réparation Automobile", 3, ("Garage du Centre",)),
    Activity("46.73A", "Matériaux", "de Matériaux", 2),
    Activity("46.90Z", "Distribution", "de Distribution", 2),
    Activity("47.11B", "Épicerie", "d'Alimentation", 2, ("Au Panier Frais", "L'Épicerie du Coin")),
    Activity("47.22Z", "Boucherie", "de Boucherie", 2, ("Au Bœuf Couronné", "La Belle Côte")),
    Activity("47.25Z", "Cave", "des Vins", 1, ("La Cave de {first}", "Le Cellier")),
    Activity("47.61Z", "Librairie", "de Librairie", 1, ("La Page Blanche", "L'Encre et la Plume")),
    Activity("47.73Z", "Pharmacie", "Pharmaceutique", 2, ("Pharmacie de la Gare",)),
    Activity("47.76Z", "Fleurs", "Florale", 1, ("Au Jardin Fleuri", "Les Fleurs de {first}")),
    Activity("49.32Z", "Taxis", "de Taxis", 2),
    Activity("49.41A", "Transports", "de Transports", 5),
    Activity("49.42Z", "Déménagements", "de Déménagement", 1),
    Activity("52.10B", "Logistique", "d'Entreposage", 2),
    Activity("55.10Z", "Hôtel", "Hôtelière", 2, ("Hôtel de la Gare", "Hôtel Beau Site")),
    Activity(
        "56.10A",
        "Restaurant",
        "de Restauration",
        5,
        ("Le Bistrot du Port", "La Table de {first}", "L'Auberge du Pont"),
    ),
    Activity("56.21Z", "Traiteur", "de Réception", 1),
    Activity(
        "56.30Z", "Café", "de Débits de Boissons", 2, ("Le Café de la Place", "Le Bar des Sports")
    ),
    Activity("58.11Z", "Éditions", "d'Édition", 1),
    Activity("62.01Z", "Informatique", "de Développement Logiciel", 4),
    Activity("62.02A", "Conseil Informatique", "de Conseil en Systèmes", 2),
    Activity("66.22Z", "Assurances", "de Courtage", 1),
    Activity("68.31Z", "Immobilier", "de Transactions Immobilières", 3),
    Activity("69.20Z", "Cabinet Comptable", "d'Expertise Comptable", 2),
    Activity("70.22Z", "Conseil", "de Conseil", 5),
    Activity("71.11Z", "Atelier d'Architecture", "d'Architecture", 1),
    Activity("71.12B", "Ingénierie", "d'Études Techniques", 3),
    Activity("73.11Z", "Communication", "de Communication", 2),
    Activity("74.20Z", "Studio Photo", "de Photographie", 1),
    Activity("75.00Z", "Clinique Vétérinaire", "Vétérinaire", 1),
    Activity("77.11A", "Location", "de Location de Véhicules", 1),
    Activity("78.20Z", "Intérim", "de Travail Temporaire", 1),
    Activity("80.10Z", "Sécurité", "de Gardiennage", 1),
    Activity("81.21Z", "Nettoyage", "de Nettoyage", 3),
    Activity("81.30Z", "Jardins", "d'Aménagement Paysager", 2),
    Activity("85.53Z", "Auto-École", "d'Enseignement de la Conduite", 1, ("Auto-École du Centre",)),
    Activity("85.59A", "Formation", "de Formation", 2),
    Activity("88.10A", "Services à Domicile", "d'Aide à Domicile", 1),
    Activity("95.11Z", "Dépannage Informatique", "de Maintenance Informatique", 1),
    Activity("96.02A", "Coiffure", "de Coiffure", 3, ("L'Atelier Coiffure", "Le Salon de {first}")),
    Activity("96.04Z", "Institut", "d'Esthétique", 1, ("L'Instant Beauté", "Au Bien-Être")),
)
REAL_ESTATE = Activity("68.20B", "SCI", "Immobilière", 0)  # the sociétés civiles immobilières'
_ACTIVITY = _Weighted(ACTIVITIES, [activity.weight for activity in ACTIVITIES])

SURNAMES = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Masson", "Marchand", "Duval", "Denis",
    "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud",
    "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard",
    "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger",
    "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
    "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Guillaume",
    "Lecomte", "Lopez", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Dupuis",
    "Moulin", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein",
    "Jacquet", "Adam", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charpentier", "Ménard",
    "Maillard", "Baron", "Bertin", "Bailly", "Hervé", "Schneider", "Le Gall", "Collet",
    "Léger", "Bouvier", "Prévost", "Millet", "Perrot", "Le Roux", "Germain", "Breton",
    "Besson", "Langlois", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Hamon", "Monnier", "Michaud", "Gillet", "Étienne",
    "Grondin", "Tessier", "Chauvin", "Da Silva", "Maréchal", "Humbert", "Hoarau", "Perret",
    "Barthélemy", "Cordier", "Lejeune", "Delaunay", "Pasquier", "Laporte", "D'Almeida",
    "N'Diaye", "Lemaître", "Bénard", "Ferrand", "Castel",
)  # fmt: skip
FIRST_NAMES = (
    "Julie", "Camille", "Léa", "Manon", "Chloé", "Émilie", "Sophie", "Hélène", "Pierre",
    "Lucas", "Hugo", "Théo", "Antoine", "Nicolas", "Éric", "Jérôme", "François", "Anaïs", "Zoé",
    "Gaël", "Inès", "Maël", "Noémie", "Agnès", "Loïc",
)  # fmt: skip
PLACES = (
    "du Rhône", "de la Loire", "des Alpes", "du Vercors", "de Provence", "d'Armor", "du Lac",
    "de la Vallée", "des Trois Rivières", "du Sud-Ouest", "de l'Estuaire", "d'Auvergne",
    "du Littoral", "des Monts d'Or", "de la Côte", "du Val de Saône", "de Bourgogne",
    "du Pays Basque", "des Cévennes", "de l'Océan", "du Marais", "des Vosges", "du Jura",
    "de Gascogne", "du Bocage", "de la Baie", "du Centre", "de l'Ouest", "des Landes",
    "du Quercy", "d'Île-de-France", "du Forez",
)  # fmt: skip
REGIONS = (
    "Lyonnaise", "Bretonne", "Normande", "Alsacienne", "Provençale", "Savoyarde",
    "Méridionale", "Parisienne", "Auvergnate", "Picarde", "Lorraine", "Angevine", "Niçoise",
    "Champenoise", "Dauphinoise", "Bordelaise", "Toulousaine", "Nantaise", "Vendéenne",
    "Franc-Comtoise", "Ardéchoise", "Charentaise", "Landaise", "Rhodanienne", "Tourangelle",
)  # fmt: skip
BRAND_HEADS = (
    "Nova", "Alti", "Logi", "Éco", "Hexa", "Opti", "Vita", "Axi", "Terra", "Kali", "Sola", "Néo",
    "Arbo", "Proxi", "Hydro", "Électro", "Clim", "Bati",
)  # fmt: skip
BRAND_TAILS = (
    "tec", "via", "sys", "med", "lis", "gram", "vert", "pro", "net", "line", "plus", "nord",
    "sud", "concept", "style", "nova",
)  # fmt: skip
SCI_NAMES = ("du Parc", "Les Tilleuls", "de la Gare", "Les Acacias", "du Moulin", "Belvédère")

# (commune, postcode, INSEE commune code, weight): the département follows from the code.
COMMUNES: tuple[tuple[str, str, str, int], ...] = (
    ("Paris", "75011", "75111", 8),
    ("Paris", "75015", "75115", 6),
    ("Paris", "75002", "75102", 4),
    ("Marseille", "13008", "13208", 4),
    ("Marseille", "13001", "13201", 2),
    ("Lyon", "69002", "69382", 3),
    ("Lyon", "69007", "69387", 3),
    ("Toulouse", "31000", "31555", 4),
    ("Nice", "06000", "06088", 3),
    ("Nantes", "44000", "44109", 3),
    ("Strasbourg", "67000", "67482", 3),
    ("Montpellier", "34000", "34172", 3),
    ("Bordeaux", "33000", "33063", 3),
    ("Lille", "59000", "59350", 3),
    ("Rennes", "35000", "35238", 2),
    ("Reims", "51100", "51454", 2),
    ("Saint-Étienne", "42000", "42218", 2),
    ("Le Havre", "76600", "76351", 2),
    ("Toulon", "83000", "83137", 2),
    ("Grenoble", "38000", "38185", 2),
    ("Dijon", "21000", "21231", 2),
    ("Angers", "49000", "49007", 2),
    ("Nîmes", "30000", "30189", 2),
    ("Villeurbanne", "69100", "69266", 2),
    ("Clermont-Ferrand", "63000", "63113", 2),
    ("Le Mans", "72000", "72181", 2),
    ("Aix-en-Provence", "13090", "13001", 2),
    ("Brest", "29200", "29019", 1),
    ("Tours", "37000", "37261", 2),
    ("Amiens", "80000", "80021", 1),
    ("Limoges", "87000", "87085", 1),
    ("Annecy", "74000", "74010", 1),
    ("Perpignan", "66000", "66136", 1),
    ("Metz", "57000", "57463", 1),
    ("Besançon", "25000", "25056", 1),
    ("Orléans", "45000", "45234", 1),
    ("Rouen", "76000", "76540", 1),
    ("Caen", "14000", "14118", 1),
    ("Nancy", "54000", "54395", 1),
    ("Montreuil", "93100", "93048", 1),
    ("Boulogne-Billancourt", "92100", "92012", 1),
    ("Versailles", "78000", "78646", 1),
    ("Créteil", "94000", "94028", 1),
    ("L'Haÿ-les-Roses", "94240", "94038", 1),
    ("Villeneuve-d'Ascq", "59650", "59009", 1),
    ("Mulhouse", "68100", "68224", 1),
    ("Poitiers", "86000", "86194", 1),
    ("La Rochelle", "17000", "17300", 1),
    ("Pau", "64000", "64445", 1),
    ("Bayonne", "64100", "64102", 1),
    ("Avignon", "84000", "84007", 1),
    ("Quimper", "29000", "29232", 1),
    ("Vannes", "56000", "56260", 1),
    ("Chambéry", "73000", "73065", 1),
    ("Colmar", "68000", "68066", 1),
    ("Ajaccio", "20000", "2A004", 1),
    ("Bastia", "20200", "2B033", 1),
    ("Saint-Denis", "97400", "97411", 1),
    ("Fort-de-France", "97200", "97209", 1),
    ("Cayenne", "97300", "97302", 1),
)
_COMMUNE = _Weighted(COMMUNES, [weight for *_, weight in COMMUNES])
STREET_TYPES = ("rue", "avenue", "boulevard", "place", "allée", "chemin", "impasse", "quai")
STREETS = (
    "de la République", "Victor Hugo", "Jean Jaurès", "du Général de Gaulle", "de la Gare",
    "des Lilas", "Pasteur", "de l'Église", "du Moulin", "des Écoles", "Gambetta", "de la Paix",
    "du Port", "des Tanneurs", "Émile Zola", "Voltaire", "Jean Moulin", "de Verdun",
    "du Marché", "Saint-Michel", "des Acacias", "de la Liberté", "du 8 Mai 1945",
    "Anatole France", "des Peupliers", "du Château",
)  # fmt: skip
COMPLEMENTS = ("ZA des Granges", "Bâtiment B", "ZI du Moulin", "Parc d'activités des Landes")

# INSEE's tranches d'effectifs: NN no employee count (not an employer), 00 none, 01 1-2,
# 02 3-5, 03 6-9, 11 10-19, 12 20-49, 21 50-99, 22 100-199, 31 200-249, 32 250-499, 41 500-999.
SIZE_BANDS = ("NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41")
_SIZE = _Weighted(SIZE_BANDS, (300, 150, 180, 120, 80, 70, 50, 25, 12, 4, 4, 1))
_SOLE_TRADER_SIZE = _Weighted(SIZE_BANDS[:3], (60, 30, 10))

# (catégorie juridique, weight, the form a name may end with)
LEGAL_CATEGORIES: tuple[tuple[str, int, str], ...] = (
    ("5710", 400, "SAS"),
    ("5499", 330, "SARL"),
    ("5720", 120, "SASU"),
    ("5498", 30, "EURL"),
    ("5599", 30, "SA"),
    ("6540", 50, "SCI"),
    (NATURAL_PERSON_CATEGORY, 40, ""),
)
_CATEGORY = _Weighted(
    [code for code, _, _ in LEGAL_CATEGORIES], [w for _, w, _ in LEGAL_CATEGORIES]
)
_FORMS = {code: form for code, _, form in LEGAL_CATEGORIES}
SCI_CATEGORY = "6540"


# --- companies --------------------------------------------------------------------------------


class PayerProfile(StrEnum):
    """How a demo company pays its suppliers, which decides its score band."""

    PUNCTUAL = "punctual"
    SLIGHTLY_LATE = "slightly_late"
    OFTEN_LATE = "often_late"
    VERY_LATE = "very_late"


_PROFILE = _Weighted(
    (
        PayerProfile.PUNCTUAL,
        PayerProfile.SLIGHTLY_LATE,
        PayerProfile.OFTEN_LATE,
        PayerProfile.VERY_LATE,
    ),
    (45, 30, 15, 10),
)
_CREDITOR_COUNT = _Weighted((1, 2, 3, 4, 5), (35, 30, 20, 10, 5))
REPORTED_SHARE = 1 / 3  # of the companies, some creditor reported outcomes about


@dataclass(frozen=True)
class Payer:
    """What the creditors report about a company: how it pays, how many invoices, from whom."""

    profile: PayerProfile
    invoices: int  # 1 to 25
    creditors: int  # 1 to 5 distinct creditors


@dataclass(frozen=True)
class DemoCompany:
    """One fictitious company as the registry stores it (the import's own facts) and its payer.

    `facts.other_names_norm` holds the head office's signs too, as after the import's second
    file.
    """

    n: int
    facts: CompanyFacts
    office: HeadOfficeFacts
    payer: Payer | None  # None: no creditor reported anything about it

    @property
    def is_scored(self) -> bool:
        return is_scored(
            diffusion=self.facts.diffusion, is_natural_person=self.facts.is_natural_person
        )


@dataclass(frozen=True)
class _Shape:
    """What a company is, before its name and address are drawn."""

    category: str
    diffusion: Diffusion
    is_active: bool
    payer: Payer | None


# The first companies are set on purpose, so that even a small demo shows every case.
SHOWCASE: tuple[_Shape, ...] = (
    _Shape("5710", Diffusion.PUBLIC, True, Payer(PayerProfile.PUNCTUAL, 20, 4)),
    _Shape(NATURAL_PERSON_CATEGORY, Diffusion.PUBLIC, True, Payer(PayerProfile.OFTEN_LATE, 4, 2)),
    _Shape("5710", Diffusion.PARTIAL, True, Payer(PayerProfile.SLIGHTLY_LATE, 5, 2)),
    _Shape("5499", Diffusion.PUBLIC, True, Payer(PayerProfile.SLIGHTLY_LATE, 12, 3)),
    _Shape("5720", Diffusion.PUBLIC, True, Payer(PayerProfile.OFTEN_LATE, 8, 3)),
    _Shape("5499", Diffusion.PUBLIC, True, Payer(PayerProfile.VERY_LATE, 9, 3)),
    _Shape("5710", Diffusion.PUBLIC, True, None),
    _Shape("5499", Diffusion.PUBLIC, False, Payer(PayerProfile.OFTEN_LATE, 3, 1)),
    _Shape("5599", Diffusion.PUBLIC, True, Payer(PayerProfile.PUNCTUAL, 2, 1)),
)
SOLE_TRADER_N, PARTIAL_N, UNREPORTED_N = 1, 2, 6


def _drawn_shape(rng: random.Random) -> _Shape:
    category = _CATEGORY.pick(rng)
    natural = category == NATURAL_PERSON_CATEGORY
    partial = rng.random() < (0.3 if natural else 0.005)
    is_active = rng.random() < (0.85 if natural else 0.92)
    payer = None
    if rng.random() < REPORTED_SHARE:
        profile = _PROFILE.pick(rng)
        volume = rng.random()
        if volume < 0.55:
            invoices = rng.randint(1, 3)
        elif volume < 0.88:
            invoices = rng.randint(4, 10)
        else:
            invoices = rng.randint(11, 25)
        creditors = min(invoices, _CREDITOR_COUNT.pick(rng))
        payer = Payer(profile, invoices, creditors)
    return _Shape(category, Diffusion.PARTIAL if partial else Diffusion.PUBLIC, is_active, payer)


def _elides(trade: str) -> bool:
    """A one-word singular trade starting with a vowel takes "L'": "L'Atelier du Rhône"."""
    return trade[0] in "AEIOUÉÈÂÎÔH" and " " not in trade and not trade.endswith("s")


def _initials(name: str) -> str:
    """The sigle of a long name: the first letter of each word that is not a small word."""
    small = {"de", "du", "des", "la", "le", "les", "et", "l", "d"}
    return "".join(word[0] for word in normalise_name(name).split() if word not in small).upper()


def _with_form(rng: random.Random, name: str, category: str) -> str:
    """Some names end with their legal form, as on an invoice: "Menuiserie Bernard SARL"."""
    form = _FORMS[category]
    return f"{name} {form}" if form and rng.random() < 0.25 else name


def _name(rng: random.Random, activity: Activity, category: str) -> tuple[str, str]:
    """A plausible French company name and its sigle ("" for most)."""
    surname = rng.choice(SURNAMES)
    if category == SCI_CATEGORY:
        return f"SCI {rng.choice((surname, rng.choice(SCI_NAMES)))}", ""
    trade = activity.trade
    pattern = rng.random()
    if pattern < 0.40:
        name = f"{trade} {surname}"
    elif pattern < 0.50:
        name = f"{trade} {surname} {rng.choice(('et Fils', 'Frères', '& Fils'))}"
    elif pattern < 0.62:
        name = f"{trade} {rng.choice(PLACES)}"
    elif pattern < 0.70 and _elides(trade):
        name = f"L'{trade} {rng.choice((rng.choice(PLACES), 'de ' + rng.choice(FIRST_NAMES)))}"
    elif pattern < 0.78:
        name = f"Société {rng.choice(REGIONS)} {activity.field}"
        return _with_form(rng, name, category), _initials(name)
    elif pattern < 0.86:
        other = rng.choice(SURNAMES)
        name = rng.choice((f"{surname} & Associés", f"{surname}-{other} {trade}"))
    else:
        name = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)} {trade}"
    sigle = _initials(name) if len(name.split()) >= 3 and rng.random() < 0.08 else ""
    return _with_form(rng, name, category), sigle


def _created_on(rng: random.Random, natural: bool) -> date:
    """A creation date from 1960 to 2025, more of them recent (sole traders most of all)."""
    first, last = date(1960, 1, 1), date(2025, 6, 30)
    recent = rng.betavariate(4 if natural else 2.5, 1.0)
    return first + timedelta(days=int(recent * (last - first).days))


def _unit_record(rng: random.Random, siren: str, shape: _Shape) -> dict[str, str]:
    """The legal unit's row as StockUniteLegale would give it."""
    natural = shape.category == NATURAL_PERSON_CATEGORY
    activity = REAL_ESTATE if shape.category == SCI_CATEGORY else _ACTIVITY.pick(rng)
    name, sigle = ("", "") if natural else _name(rng, activity, shape.category)
    usual = ""
    if not natural and rng.random() < 0.05:
        usual = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)}"
    return {
        "siren": siren,
        "statutDiffusionUniteLegale": shape.diffusion.value,
        "etatAdministratifUniteLegale": "A" if shape.is_active else "C",
        "categorieJuridiqueUniteLegale": shape.category,
        "denominationUniteLegale": name,
        "sigleUniteLegale": sigle,
        "denominationUsuelle1UniteLegale": usual,
        "activitePrincipaleUniteLegale": activity.naf,
        "nomenclatureActivitePrincipaleUniteLegale": NAF_REV2,
        "dateCreationUniteLegale": _created_on(rng, natural).isoformat(),
        "trancheEffectifsUniteLegale": (_SOLE_TRADER_SIZE if natural else _SIZE).pick(rng),
    }


def _head_office_record(
    rng: random.Random, siren: str, shape: _Shape, activity: Activity
) -> dict[str, str]:
    """The head office's row as StockEtablissement would give it."""
    commune, postcode, code, _ = _COMMUNE.pick(rng)
    sign = ""
    if activity.signs and rng.random() < 0.5:
        sign = rng.choice(activity.signs).format(first=rng.choice(FIRST_NAMES))
    return {
        "siren": siren,
        "etablissementSiege": "true",
        "statutDiffusionEtablissement": shape.diffusion.value,
        "complementAdresseEtablissement": rng.choice(COMPLEMENTS) if rng.random() < 0.08 else "",
        "numeroVoieEtablissement": str(rng.randint(1, 180)),
        "indiceRepetitionEtablissement": "bis" if rng.random() < 0.03 else "",
        "typeVoieEtablissement": rng.choice(STREET_TYPES),
        "libelleVoieEtablissement": rng.choice(STREETS),
        "codePostalEtablissement": postcode,
        "libelleCommuneEtablissement": commune,
        "codeCommuneEtablissement": code,
        "enseigne1Etablissement": sign,
    }


_BY_NAF = {activity.naf: activity for activity in (*ACTIVITIES, REAL_ESTATE)}


def demo_company(n: int) -> DemoCompany:
    """Demo company n, always the same, stored as the SIRENE import would store it."""
    siren = demo_siren(n)
    rng = _rng(n, _COMPANY_STREAM)
    shape = SHOWCASE[n] if n < len(SHOWCASE) else _drawn_shape(rng)
    unit = _unit_record(rng, siren, shape)
    facts = company_from_unit(unit)
    activity = _BY_NAF[unit["activitePrincipaleUniteLegale"]]
    # The import keeps only the commune of a sole trader's or a partly diffused unit's office.
    commune_only = facts.is_natural_person or facts.diffusion is Diffusion.PARTIAL
    office = head_office_from_establishment(
        _head_office_record(rng, siren, shape, activity), commune_only=commune_only
    )
    if office is None:  # every drawn establishment is a head office
        raise AssertionError("a demo head office must be a head office")
    if office.signs:  # as the import's second file does, with the head office's signs
        names = other_names_norm(facts.sigle, facts.usual_names, office.signs)
        facts = replace(facts, other_names_norm=names)
        office = replace(office, other_names_norm=names)
    return DemoCompany(n=n, facts=facts, office=office, payer=shape.payer)


# --- creditors and outcomes ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCreditor:
    """A fictitious creditor organisation (no user belongs to it) reporting outcomes."""

    name: str
    typical_euros: int  # the size of its usual invoice
    verified_share: float  # of its outcomes, paid through the platform's checkout


DEMO_CREDITORS: tuple[DemoCreditor, ...] = (
    DemoCreditor("Fournitures Delaroche SAS", 350, 0.7),
    DemoCreditor("Imprimerie des Quatre Vents", 900, 0.5),
    DemoCreditor("Transports Guérin Logistique", 2_400, 0.3),
    DemoCreditor("Matériaux Rivière et Fils", 6_500, 0.2),
    DemoCreditor("Cabinet Lenoir Conseil", 3_000, 0.6),
    DemoCreditor("Agence Web Colibri", 1_500, 0.1),
)


def creditor_siren(index: int) -> str:
    """The SIREN of the demo creditor at `index` of DEMO_CREDITORS."""
    return siren_for(CREDITOR_SIRENS + index)


@dataclass(frozen=True)
class DemoOutcome:
    """One invoice a demo creditor reports about a demo company (`creditor`: its index)."""

    creditor: int
    reference: str
    due_on: date
    amount_cents: int
    settled_on: date | None
    is_verified: bool
    had_good_reminder: bool
    published_on: date | None


def _delay(rng: random.Random, profile: PayerProfile) -> int | None:
    """Days from the due date to the payment; None for an invoice never paid."""
    draw = rng.random()
    if profile is PayerProfile.PUNCTUAL:
        bounds = (-20, 0) if draw < 0.80 else (1, 10) if draw < 0.97 else (11, 30)
    elif profile is PayerProfile.SLIGHTLY_LATE:
        bounds = (-5, 5) if draw < 0.35 else (6, 22) if draw < 0.80 else (23, 45)
    elif profile is PayerProfile.OFTEN_LATE:
        bounds = (-3, 10) if draw < 0.15 else (11, 35) if draw < 0.50 else (36, 90)
        if draw >= 0.90:
            bounds = (91, 150)
    else:
        if draw >= 0.75:
            return None
        bounds = (5, 30) if draw < 0.10 else (31, 100) if draw < 0.45 else (101, 240)
    return rng.randint(*bounds)


def _published_on(
    rng: random.Random, profile: PayerProfile, due_on: date, delay: int | None, today: date
) -> date | None:
    """A very late payer's long-unpaid invoice is sometimes published after due notice."""
    if profile is not PayerProfile.VERY_LATE or (delay is not None and delay <= 90):
        return None
    if rng.random() >= 0.4:
        return None
    published = due_on + timedelta(days=rng.randint(45, 75))
    return published if published <= today else None


def demo_outcomes(company: DemoCompany, today: date) -> tuple[DemoOutcome, ...]:
    """The outcomes reported about the company as of `today`, oldest due date first.

    Due dates spread over the last 30 months (since the company's creation); a ceased company's
    stop a year before `today`. An invoice whose payment would come after `today` is unpaid.
    """
    payer = company.payer
    if payer is None:
        return ()
    rng = _rng(company.n, _OUTCOME_STREAM)
    earliest = today - timedelta(days=OUTCOME_MONTHS * 365 // 12)
    if company.facts.created_on is not None:
        earliest = max(earliest, company.facts.created_on + timedelta(days=30))
    latest = today if company.facts.is_active else today - timedelta(days=365)
    if earliest > latest:
        return ()
    span = (latest - earliest).days
    creditors = rng.sample(range(len(DEMO_CREDITORS)), payer.creditors)
    dues = sorted(earliest + timedelta(days=rng.randint(0, span)) for _ in range(payer.invoices))
    outcomes = []
    for k, due_on in enumerate(dues):
        creditor = creditors[k] if k < len(creditors) else rng.choice(creditors)
        known = DEMO_CREDITORS[creditor]
        delay = _delay(rng, payer.profile)
        settled_on = None if delay is None else due_on + timedelta(days=delay)
        if settled_on is not None and settled_on > today:
            settled_on = None
        published_on = _published_on(rng, payer.profile, due_on, delay, today)
        if published_on is not None and settled_on is not None and settled_on < published_on:
            published_on = None
        amount = round(known.typical_euros * 100 * rng.lognormvariate(0, 0.9))
        on_time = delay is not None and delay <= 0
        outcomes.append(
            DemoOutcome(
                creditor=creditor,
                reference=f"DEMO-{company.facts.siren}-{k + 1:02d}",
                due_on=due_on,
                amount_cents=min(max(amount, 2_000), 200_000_000),
                settled_on=settled_on,
                is_verified=rng.random() < known.verified_share,
                had_good_reminder=rng.random() < (0.2 if on_time else 0.02),
                published_on=published_on,
            )
        )
    return tuple(outcomes)


def score_facts(
    outcomes: Sequence[DemoOutcome], creditor_ids: Sequence[int]
) -> list[rules.Outcome]:
    """The outcomes as the score rules read them, each creditor under its organisation id."""
    return [
        rules.Outcome(
            creditor_id=creditor_ids[o.creditor],
            due_on=o.due_on,
            amount_cents=o.amount_cents,
            settled_on=o.settled_on,
            is_verified=o.is_verified,
            had_good_reminder=o.had_good_reminder,
            published_on=o.published_on,
        )
        for o in outcomes
    ]


# --- the score history, computed faster -----------------------------------------------------


@cache
def _points(days_beyond_terms: int) -> float:
    return rules.points_for(days_beyond_terms)


@cache
def _month_ends(as_of: date) -> tuple[tuple[date, int], ...]:
    """The history's month ends (and their ordinals): the same for every company of a day."""
    return tuple((end, end.toordinal()) for end in rules.month_ends(as_of))


NEVER = date.max.toordinal()  # the day of a fact that has not happened


@dataclass(frozen=True, slots=True)
class _Fact:
    """What of one outcome does not depend on the day of the score, worked out once.

    Days are ordinals (date.toordinal()): whole days apart, as `(b - a).days` counts them.
    """

    creditor_id: int
    due: int
    settled: int  # NEVER while unpaid
    published: int  # NEVER unless published
    regularised_until: int  # once paid after publication, the penalty lasts until then
    root: float  # the square root of the amount in euros
    factor: float  # verified or declared
    settled_points: float  # the points once paid, good-payer bonus included

    @classmethod
    def of(cls, outcome: rules.Outcome) -> _Fact:
        settled_points = 0.0
        regularised_until = NEVER
        if outcome.settled_on is not None:
            days = (outcome.settled_on - outcome.due_on).days
            settled_points = _points(days)
            if days <= 0 and outcome.had_good_reminder:
                bonus = settled_points + rules.GOOD_PAYER_BONUS
                settled_points = min(float(rules.SCORE_MAX), bonus)
            until = rules.years_after(outcome.settled_on, rules.MARK_YEARS)
            regularised_until = until.toordinal()
        return cls(
            creditor_id=outcome.creditor_id,
            due=outcome.due_on.toordinal(),
            settled=outcome.settled_on.toordinal() if outcome.settled_on else NEVER,
            published=outcome.published_on.toordinal() if outcome.published_on else NEVER,
            regularised_until=regularised_until,
            root=math.sqrt(outcome.amount_cents / 100),
            factor=1.0 if outcome.is_verified else rules.DECLARED_FACTOR,
            settled_points=settled_points,
        )


def _value_on(facts: Sequence[_Fact], day: int) -> int | None:
    """`rules.score(…).value` on the day of that ordinal, without recommendations: the same
    operations in the same order, so the same floats and rounding, without the explanation."""
    creditors: list[int] = []
    points: list[float] = []
    weights: list[float] = []
    capped = False  # an unpaid invoice published: the score is capped
    for fact in facts:
        if fact.due > day:
            continue
        factor = fact.factor
        if fact.settled <= day:
            value = fact.settled_points
            if fact.published <= day < fact.regularised_until:
                value -= rules.REGULARISED_PENALTY
            decay: float = 0.5 ** ((day - fact.settled) / rules.HALF_LIFE_DAYS)
            weight = fact.root * decay * factor
        else:
            value = _points(day - fact.due)
            if fact.published <= day:
                value = 0.0
                factor *= rules.PUBLISHED_FACTOR
                capped = True
            weight = fact.root * 1.0 * factor
        creditors.append(fact.creditor_id)
        points.append(value)
        weights.append(weight)
    if not points:
        return None
    per_creditor: dict[int, float] = defaultdict(float)
    for creditor, weight in zip(creditors, weights, strict=True):
        per_creditor[creditor] += weight
    if len(per_creditor) >= 2:
        total = sum(per_creditor.values())
        heaviest, heaviest_weight = max(per_creditor.items(), key=lambda pair: pair[1])
        if heaviest_weight > total * rules.CREDITOR_SHARE_CAP:
            others = total - heaviest_weight
            scale = (
                others
                * rules.CREDITOR_SHARE_CAP
                / ((1 - rules.CREDITOR_SHARE_CAP) * heaviest_weight)
            )
            weights = [
                w * scale if creditor == heaviest else w
                for w, creditor in zip(weights, creditors, strict=True)
            ]
    total = sum(weights)
    mean = sum(w * p for w, p in zip(weights, points, strict=True)) / total
    result = math.floor(mean + 0.5 + rules.ROUNDING_TOLERANCE)  # half up, as rules rounds
    return min(result, rules.PUBLICATION_CAP) if capped else result


def history_values(outcomes: Sequence[rules.Outcome], as_of: date) -> list[int | None]:
    """The values of `rules.monthly_history(outcomes, as_of)` (no recommendations), faster.

    Scoring a million demo companies month by month through `rules.score` takes many minutes;
    this does the same arithmetic with each outcome's fixed part worked out once.
    tests/unit/test_demo_companies.py checks it against `rules.monthly_history`.
    """
    facts = [_Fact.of(outcome) for outcome in outcomes if not outcome.is_related_party]
    return [_value_on(facts, day) for _, day in _month_ends(as_of)]


# --- the rows of one batch (pure, runs in worker processes) --------------------------------------

COMPANY_COLUMNS = (
    *UNIT_FIELDS,
    "address",
    "postcode",
    "commune",
    "departement",
    "signs",
    "source",
    "outcome_changes",
    "updated_at",
)
OUTCOME_COLUMNS = (
    "organisation",
    "company",
    "reference",
    "due_on",
    "amount_cents",
    "settled_on",
    "is_verified",
    "had_good_reminder",
    "published_on",
    "updated_at",
)
SCORE_COLUMNS = (
    "company",
    "value",
    "confidence",
    "base_value",
    "recommendation_points",
    "is_capped_by_publication",
    "verified_count",
    "declared_count",
    "contributions",
    "history",
    "computed_changes",
    "computed_on",
    "computed_at",
    "version",
)
Row = tuple[Any, ...]


@dataclass(frozen=True)
class PreparedBatch:
    """A batch's rows, but for the ids the database gives (company) and the instant of writing.

    Outcome and score rows are keyed by their company's SIREN.
    """

    companies: list[Row]  # COMPANY_COLUMNS but updated_at
    names: list[str]  # the searched names, for the vocabulary of typo tolerance
    outcomes: list[tuple[str, Row]]  # OUTCOME_COLUMNS but company and updated_at
    scores: list[tuple[str, Row]]  # SCORE_COLUMNS but company, computed_at and version


def score_row(
    company: DemoCompany,
    outcomes: Sequence[DemoOutcome],
    creditor_ids: Sequence[int],
    today: date,
) -> Row:
    """The Score columns `recompute_company_score` stores for these outcomes on `today`."""
    facts = score_facts(outcomes, creditor_ids)
    result = rules.score(facts, today) if company.is_scored else None
    history = history_values(facts, today) if company.is_scored else []
    return (
        None if result is None else result.value,
        None if result is None else result.confidence.value,
        None if result is None else result.base_value,
        0 if result is None else result.recommendation_points,
        bool(result and result.is_capped_by_publication),
        0 if result is None else result.verified_count,
        0 if result is None else result.declared_count,
        dump_json(_contributions_json(result)),
        dump_json(
            [
                {"month": end.replace(day=1).isoformat(), "value": value}
                for (end, _), value in zip(_month_ends(today), history, strict=False)
            ]
        ),
        len(outcomes),
        today,
    )


def prepare_batch(
    numbers: Sequence[int], today: date, creditor_ids: Sequence[int]
) -> PreparedBatch:
    """The rows of these demo companies, their outcomes and their scores as of `today`."""
    batch = PreparedBatch(companies=[], names=[], outcomes=[], scores=[])
    for n in numbers:
        company = demo_company(n)
        facts, office = company.facts, company.office
        outcomes = demo_outcomes(company, today)
        batch.companies.append(
            (
                *(getattr(facts, name) for name in UNIT_FIELDS),
                office.address,
                office.postcode,
                office.commune,
                office.departement,
                office.signs,
                CompanySource.DEMO.value,
                len(outcomes),
            )
        )
        batch.names.append(f"{facts.name_norm} {facts.other_names_norm}")
        if not outcomes:
            continue
        for o in outcomes:
            row = (
                creditor_ids[o.creditor],
                o.reference,
                o.due_on,
                o.amount_cents,
                o.settled_on,
                o.is_verified,
                o.had_good_reminder,
                o.published_on,
            )
            batch.outcomes.append((facts.siren, row))
        batch.scores.append((facts.siren, score_row(company, outcomes, creditor_ids, today)))
    return batch


# --- writing ------------------------------------------------------------------------------------


class _Writer:
    """One connection of the engine's own driver, as the SIRENE import writes."""

    def __init__(self, connection: Any, *, is_postgres: bool) -> None:
        self.connection = connection
        self.is_postgres = is_postgres
        self.words_written: set[tuple[str, str]] = set()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self.is_postgres:
            async with self.connection.transaction():
                yield
            return
        await self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            await self.connection.execute("ROLLBACK")
            raise
        await self.connection.execute("COMMIT")

    async def _fetch(self, sql: str, *values: Any) -> list[Any]:
        if self.is_postgres:
            marks = iter(range(1, len(values) + 1))
            return list(await self.connection.fetch(sql.format(*(f"${n}" for n in marks)), *values))
        cursor = await self.connection.execute(sql.format(*("?" for _ in values)), values)
        return list(await cursor.fetchall())

    async def _insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        if not rows:
            return
        if self.is_postgres:
            await self.connection.copy_records_to_table(table, records=rows, columns=columns)
            return
        marks = ", ".join("?" for _ in columns)
        await self.connection.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )

    async def sirens_between(self, first: str, last: str) -> dict[str, int]:
        """{SIREN: id} of the demo companies from `first` to `last`."""
        rows = await self._fetch(
            "SELECT id, siren FROM company WHERE siren BETWEEN {} AND {} AND source = {}",
            first,
            last,
            CompanySource.DEMO.value,
        )
        return {row["siren"]: row["id"] for row in rows}

    async def taken_between(self, first: str, last: str) -> set[str]:
        """The SIRENs from `first` to `last` the registry holds, whatever their source."""
        rows = await self._fetch(
            "SELECT siren FROM company WHERE siren BETWEEN {} AND {}", first, last
        )
        return {row["siren"] for row in rows}

    async def words(self, names: Sequence[str]) -> None:
        rows = sorted(search_word_rows(names) - self.words_written)
        if not rows:
            return
        marks = "$1, $2" if self.is_postgres else "?, ?"
        await self.connection.executemany(
            f"INSERT INTO search_word (variant, word) VALUES ({marks})"  # noqa: S608 (no value)
            " ON CONFLICT DO NOTHING",
            rows,
        )
        self.words_written.update(rows)

    async def batch(self, batch: PreparedBatch, clock: Clock) -> int:
        """The companies, their words, outcomes and scores, in one transaction."""
        now = clock.now()
        sirens = [row[0] for row in batch.companies]
        async with self.transaction():
            await self._insert("company", COMPANY_COLUMNS, [(*r, now) for r in batch.companies])
            ids = await self.sirens_between(min(sirens), max(sirens))
            await self.words(batch.names)
            await self._insert(
                "outcome",
                OUTCOME_COLUMNS,
                [(r[0], ids[siren], *r[1:], now) for siren, r in batch.outcomes],
            )
            await self._insert(
                "score", SCORE_COLUMNS, [(ids[siren], *r, now, 1) for siren, r in batch.scores]
            )
        return len(sirens)


async def demo_creditor_ids(clock: Clock) -> tuple[int, ...]:
    """The organisation ids of the demo creditors, in DEMO_CREDITORS order (created if needed)."""
    sirens = [creditor_siren(index) for index in range(len(DEMO_CREDITORS))]
    now = clock.now()
    await Organisation.insert(
        *(
            Organisation(name=creditor.name, siren=siren, vat_number=vat_for(siren), created_at=now)
            for creditor, siren in zip(DEMO_CREDITORS, sirens, strict=True)
        )
    ).on_conflict(target=Organisation.siren, action="DO NOTHING")
    rows = await Organisation.select(Organisation.id, Organisation.siren).where(
        Organisation.siren.is_in(sirens)
    )
    ids = {row["siren"]: int(row["id"]) for row in rows}
    return tuple(ids[siren] for siren in sirens)


@asynccontextmanager
async def _connection() -> AsyncIterator[_Writer]:
    engine = Company._meta.db
    if isinstance(engine, PostgresEngine):
        connection: Any = await asyncpg.connect(**engine.config)
    elif isinstance(engine, SQLiteEngine):
        connection = await engine.get_connection()
    else:
        raise TypeError(f"no demo companies for {type(engine).__name__}")
    try:
        yield _Writer(connection, is_postgres=isinstance(engine, PostgresEngine))
    finally:
        await connection.close()


@contextmanager
def _pool(workers: int) -> Iterator[Executor | None]:
    """Worker processes for the pure part (spawned: the parent runs threads), or none."""
    if workers <= 0:
        yield None
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


async def _done(batch: PreparedBatch) -> PreparedBatch:
    return batch


# Called after each batch with the companies looked at so far and the count asked for.
Progress = Callable[[int, int], None]


async def seed_demo_companies(
    *,
    count: int,
    today: date,
    clock: Clock,
    batch: int = BATCH,
    workers: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Store demo companies 0 to count - 1 with their outcomes and scores; how many were new.

    Scores are computed as of `today`, as the score job would on that day. The pure part runs
    in `workers` processes (by default one per CPU from PARALLEL_FROM companies, else none)
    while this one writes.
    """
    if not 0 <= count <= MAX_COMPANIES:
        raise ValueError(f"from 0 to {MAX_COMPANIES} demo companies, not {count}")
    if workers is None:
        workers = (os.cpu_count() or 1) if count >= PARALLEL_FROM else 0
    creditor_ids = await demo_creditor_ids(clock)
    written = 0
    async with _connection() as writer:
        with _pool(workers) as pool:
            pending: deque[tuple[int, Awaitable[PreparedBatch]]] = deque()
            for start in range(0, count, batch):
                stop = min(start + batch, count)
                taken = await writer.taken_between(demo_siren(start), demo_siren(stop - 1))
                numbers = [n for n in range(start, stop) if not taken or demo_siren(n) not in taken]
                if not numbers:
                    pending.append((stop, _done(PreparedBatch([], [], [], []))))
                elif pool is None:
                    pending.append((stop, _done(prepare_batch(numbers, today, creditor_ids))))
                else:
                    future = pool.submit(prepare_batch, numbers, today, creditor_ids)
                    pending.append((stop, asyncio.wrap_future(future)))
                while len(pending) > 2 * workers:
                    written += await _write_next(writer, pending, clock, count, progress)
            while pending:
                written += await _write_next(writer, pending, clock, count, progress)
    return written


async def _write_next(
    writer: _Writer,
    pending: deque[tuple[int, Awaitable[PreparedBatch]]],
    clock: Clock,
    count: int,
    progress: Progress | None,
) -> int:
    stop, prepared = pending.popleft()
    batch = await prepared
    written = await writer.batch(batch, clock) if batch.companies else 0
    if progress:
        progress(stop, count)
    return written


# --- command line -------------------------------------------------------------------------------


def _print_progress(done: int, count: int) -> None:
    print(f"\r{done:,} / {count:,} companies", end="", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app.dev.demo_companies",
        description="Store fictitious demo companies with outcomes and scores (benchmark data).",
    )
    parser.add_argument("--count", type=int, default=3_000, help="companies 0 to COUNT - 1")
    parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--batch", type=int, default=BATCH, help="companies per transaction")
    parser.add_argument("--workers", type=int, help="processes for the pure part")
    args = parser.parse_args(argv)
    settings = Settings.from_env(os.environ)
    if settings.is_production:
        print("refusing to seed demo data in production", file=sys.stderr)
        return 1
    bind_engine(engine_for(settings), ALL_TABLES)
    clock = SystemClock()
    started = time.perf_counter()
    written = asyncio.run(
        seed_demo_companies(
            count=args.count,
            today=args.today or paris_today(clock),
            clock=clock,
            batch=args.batch,
            workers=args.workers,
            progress=_print_progress,
        )
    )
    seconds = time.perf_counter() - started
    print(file=sys.stderr)
    print(
        f"{written:,} demo companies written in {seconds:.1f} s ({written / seconds:,.0f} rows/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
