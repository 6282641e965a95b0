"""The published outputs beside the HTML report: dashboard, annexe 4 and, on demand, the PDF."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from iae_etat.project.config import Projet
from iae_etat.project.method import taux_reponse_min
from iae_etat.project.settings import reglages
from iae_etat.report import annexe4, context, tableau_de_bord
from iae_etat.tables.contracts import load_contract
from iae_etat.tables.files import write_bytes, write_pieces
from iae_etat.territoires import referentiel


def secret_rule(projet: Projet) -> str:
    """The secrecy rule in one French sentence, with its source."""
    source = projet.secret.source or "configuration du projet"
    return (f"Secret statistique : aucun effectif de personnes de 1 à "
            f"{projet.secret.seuil_effectifs - 1} n'est publié, avec un second masquage pour "
            f"qu'une valeur masquée ne puisse pas être retrouvée par différence (source : "
            f"{source}).")


def territoire_label(projet: Projet) -> str:
    """The names of the project's départements."""
    names = referentiel.departements().set_index("code_departement")["nom_departement"]
    return ", ".join(str(names.get(code, code)) for code in projet.departements)


def write_outputs(projet: Projet, millesime: int, reports_dir: Path,
                  tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write the dashboard, its long tables as CSV and the annexe 4 tables into ``reports_dir``
    from the ``tables`` the report stage has read (``out_indicateurs``, ``out_evolution``,
    ``core_structures``, ``core_territoires``, ``out_couverture``)."""
    settings = reglages(projet)
    indicateurs = tables["out_indicateurs"]
    dashboard = reports_dir / tableau_de_bord.NAME
    long_tables: list[Path] = []

    def write_csv(name: str, pieces: Iterable[bytes]) -> None:
        long_tables.append(reports_dir / name)
        write_pieces(long_tables[-1], pieces)

    write_bytes(dashboard, tableau_de_bord.build_dashboard(
        indicateurs, tables["out_evolution"], tables["core_structures"],
        tables["core_territoires"], tables["out_couverture"],
        territoire=territoire_label(projet),
        millesime=millesime, diffusion=settings.diffusion, notice=projet.notice,
        secret_rule=secret_rule(projet), alerte=_alerte(projet, indicateurs), csv=write_csv))
    return [dashboard, *long_tables, *write_annexe4(projet, millesime, indicateurs, reports_dir)]


def write_annexe4(projet: Projet, millesime: int, indicateurs, reports_dir: Path) -> list[Path]:
    """``annexe4-<département>-<millésime>.csv`` and ``.xlsx`` for each département."""
    version = load_contract("out_indicateurs", projet.dir).version
    departements = referentiel.departements().set_index("code_departement")
    regions = referentiel.regions().set_index("code_region")["nom_region"]
    # Split once: a national project has a hundred départements and millions of rows.
    rows = indicateurs[indicateurs["niveau"] == "departement"]
    by_code = {code: group for code, group in rows.groupby("code", observed=True)}
    written = []
    for code in projet.departements:
        region = str(departements.at[code, "code_region"])
        table = annexe4.annexe4_table(
            by_code.get(code, rows.iloc[:0]), departement=code,
            nom_departement=departements.at[code, "nom_departement"], code_region=region,
            nom_region=regions.get(region, region), millesime=millesime,
            version_contrat=version, donnees_fictives=projet.donnees_fictives)
        stem = reports_dir / annexe4.file_stem(code, millesime)
        csv_path, xlsx_path = stem.with_suffix(".csv"), stem.with_suffix(".xlsx")
        write_bytes(csv_path, annexe4.to_csv(table))
        write_bytes(xlsx_path, annexe4.to_xlsx(table, projet.notice))
        written += [csv_path, xlsx_path]
    return written


def _alerte(projet: Projet, indicateurs: pd.DataFrame) -> str:
    """The low-response banners of the project's départements, one after the other."""
    texts = []
    for code, rows in context.by_departement(indicateurs).items():
        text = context.alerte_reponse(context.key_figures(rows), taux_reponse_min(projet))
        if text and code in projet.departements:
            texts.append(text if len(projet.departements) == 1 else f"{code} — {text}")
    return " ".join(texts)
