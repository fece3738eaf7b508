"""Stock files in INSEE's exact SIRENE layout, for the import's tests and benchmarks."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from stdnum import luhn

from app.companies.importers import ESTABLISHMENT_COLUMNS, UNIT_COLUMNS


def siren_for(n: int) -> str:
    """The nth fictitious SIREN: eight digits from 9, then the Luhn key."""
    body = f"9{n:07d}"
    return body + str(luhn.calc_check_digit(body))


def unit_record(siren: str, **fields: str) -> dict[str, str]:
    """A legal person's row of StockUniteLegale, active and public, with `fields` changed."""
    return {
        **dict.fromkeys(UNIT_COLUMNS, ""),
        "siren": siren,
        "statutDiffusionUniteLegale": "O",
        "dateCreationUniteLegale": "2001-05-14",
        "trancheEffectifsUniteLegale": "12",
        "anneeEffectifsUniteLegale": "2023",
        "dateDernierTraitementUniteLegale": "2024-03-22T11:04:31",
        "nombrePeriodesUniteLegale": "3",
        "categorieEntreprise": "PME",
        "anneeCategorieEntreprise": "2022",
        "dateDebut": "2019-01-01",
        "etatAdministratifUniteLegale": "A",
        "denominationUniteLegale": f"ENTREPRISE {siren}",
        "categorieJuridiqueUniteLegale": "5710",
        "activitePrincipaleUniteLegale": "62.01Z",
        "nomenclatureActivitePrincipaleUniteLegale": "NAFRev2",
        "nicSiegeUniteLegale": "00017",
        "caractereEmployeurUniteLegale": "O",
        **fields,
    }


def head_office_record(siren: str, **fields: str) -> dict[str, str]:
    """A head office's row of StockEtablissement, public and active, with `fields` changed."""
    nic = fields.pop("nic", "00017")
    return {
        **dict.fromkeys(ESTABLISHMENT_COLUMNS, ""),
        "siren": siren,
        "nic": nic,
        "siret": siren + nic,
        "statutDiffusionEtablissement": "O",
        "dateCreationEtablissement": "2001-05-14",
        "etablissementSiege": "true",
        "numeroVoieEtablissement": "12",
        "typeVoieEtablissement": "RUE",
        "libelleVoieEtablissement": "DE LA REPUBLIQUE",
        "codePostalEtablissement": "69002",
        "libelleCommuneEtablissement": "LYON 2E ARRONDISSEMENT",
        "codeCommuneEtablissement": "69382",
        "etatAdministratifEtablissement": "A",
        "activitePrincipaleEtablissement": "62.01Z",
        "nomenclatureActivitePrincipaleEtablissement": "NAFRev2",
        **fields,
    }


def stock_csv(columns: Iterable[str], records: Iterable[Mapping[str, str] | str]) -> str:
    """The CSV text: the header, then each record in column order (a str is written as is)."""
    columns = list(columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        if isinstance(record, str):
            out.write(record + "\n")
        else:
            writer.writerow([record.get(column, "") for column in columns])
    return out.getvalue()


def write_stock(path: Path, text: str, *, zipped: bool = False) -> Path:
    """Write the CSV, or a zip holding it as INSEE publishes them."""
    if zipped:
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(path.with_suffix(".csv").name, text)
    else:
        path.write_text(text, encoding="utf-8")
    return path
