"""The company registry: one row per legal unit of the French directory, keyed by SIREN."""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, Boolean, Date, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table

from app import limits
from app.companies.rules import CompanySource, Diffusion


class Company(Table):
    """A legal unit with the public data of the directory, and nothing a person asked to hide.

    A partly diffused unit (`diffusion` P) is stored without the masked fields; a natural
    person (`is_natural_person`, legal category 1000) is shown as SIREN and commune only.
    """

    id = Serial(primary_key=True)

    siren = Varchar(length=limits.SIREN, unique=True)
    name = Varchar(length=limits.COMPANY_NAME, default="")
    sigle = Varchar(length=limits.SIGLE, default="")
    usual_names = Varchar(length=limits.SHORT_TEXT, default="")  # the unit's usual names
    signs = Varchar(length=limits.SHORT_TEXT, default="")  # the head office's enseignes
    # Searched columns (app/companies/search.py): normalised by rules.normalise_name.
    name_norm = Varchar(length=limits.COMPANY_NAME, default="")
    sigle_norm = Varchar(length=limits.SIGLE, default="")
    other_names_norm = Varchar(length=limits.OTHER_NAMES_NORM, default="")
    legal_category = Varchar(length=limits.LEGAL_CATEGORY, default="")
    naf_code = Varchar(length=limits.NAF_CODE, default="")
    naf_nomenclature = Varchar(length=limits.NAF_NOMENCLATURE, default="")
    address = Varchar(length=limits.SHORT_TEXT, default="")
    postcode = Varchar(length=limits.POSTCODE, default="")
    commune = Varchar(length=limits.COMMUNE, default="")
    departement = Varchar(length=limits.DEPARTEMENT, default="")
    created_on = Date(null=True, default=None)
    size_band = Varchar(length=limits.SIZE_BAND, default="")
    is_active = Boolean(default=True)
    diffusion = Varchar(length=limits.DIFFUSION, choices=Diffusion, default=Diffusion.PUBLIC)
    is_natural_person = Boolean(default=False)
    slug = Varchar(length=limits.SLUG, default="")
    source = Varchar(length=limits.COMPANY_SOURCE, choices=CompanySource)
    # Bumped with every change to one of its outcomes: a score computed from fewer is stale.
    outcome_changes = Integer(default=0)
    updated_at = Timestamptz()


class SearchWord(Table):
    """The words of four to 30 letters of the registry's names: the vocabulary of typo tolerance.

    The words a typed one may mean are those of its neighbours one typo away that are stored
    here, found by one indexed look-up (app/companies/search.py). `word` is unique (raw index
    migration).
    """

    id = Serial(primary_key=True)

    word = Varchar(length=limits.SEARCH_WORD)


class SireneImport(Table):
    """One run of the SIRENE import over one file, so that an interrupted run carries on.

    `rows_done` counts the data rows already written (bad ones included), committed with them.
    """

    id = Serial(primary_key=True)

    kind = Varchar(length=limits.IMPORT_KIND)  # units | establishments
    file_name = Varchar(length=limits.SHORT_TEXT)
    fingerprint = Varchar(length=limits.SECRET_HASH, index=True)  # size + first MiB, hashed
    rows_done = BigInt(default=0)
    bad_rows = BigInt(default=0)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class SireneLoad(Table):
    """A first load of the registry on PostgreSQL (app/companies/sirene_sql.py).

    While it runs the registry's search indexes are set aside; `held_indexes` keeps their
    names and definitions ([{"name": ..., "definition": ...}]) until they are built again.
    """

    id = Serial(primary_key=True)

    held_indexes = JSON(default=[])
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [Company, SearchWord, SireneImport, SireneLoad]
