"""``iae-etat scenario FILE``: apply a what-if file to a built millésime and write the
before/after table (the I/O around the pure ``analyse/scenario.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iae_etat.common.errors import ScenarioError, UsageError
from iae_etat.project.config import Projet
from iae_etat.project.lock import project_lock
from iae_etat.project.method import seuil_zone_blanche
from iae_etat.project.settings import reglages, scenario_files
from iae_etat.scenario import outputs
from iae_etat.scenario.simulate import (
    CONSEIL,
    INPUT_FILTERS,
    Scenario,
    hypotheses_table,
    parse_scenario,
    simulate,
)
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.files import write_bytes

TABLES = ("out_indicateurs", "core_territoires")


@dataclass
class Resultat:
    """A scenario applied: the hypotheses, the before/after rows shown and the files written."""

    scenario: Scenario
    diffusion: str
    hypotheses: pd.DataFrame
    table: pd.DataFrame
    sorties: list[Path]


def read_scenario(path: Path, shown: str) -> Scenario:
    """Read and parse the what-if file ``path`` (``shown`` is its name in messages)."""
    if path.suffix.lower() != ".toml":
        raise ScenarioError(f"{shown} : un scénario s'écrit dans un fichier TOML (.toml).",
                            conseil=CONSEIL)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError(f"{shown} : fichier introuvable.") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{shown} : le fichier doit être encodé en UTF-8.") from None
    except OSError as exc:
        raise ScenarioError(f"{shown} : lecture impossible ({exc.strerror}).") from None
    return parse_scenario(text, shown)


def built_tables(projet: Projet, millesime: int) -> dict[str, pd.DataFrame]:
    """The tables a scenario needs, or a usage error when the millésime is not built."""
    catalogue = Catalogue(projet.processed_dir(millesime), projet.dir)
    missing = [name for name in TABLES if not catalogue.exists(name)]
    if missing:
        raise UsageError(f"Le millésime {millesime} n'est pas construit : "
                         f"{', '.join(missing)} absente(s) de "
                         f"data/processed/{millesime}/.",
                         conseil="Lancez d'abord « iae-etat build » (ou « iae-etat --millesime "
                                 f"{millesime} build »).")
    return {name: catalogue.read(name, filters=INPUT_FILTERS if name == "out_indicateurs"
                                 else None) for name in TABLES}


def apply(projet: Projet, scenario: Scenario, tables: dict[str, pd.DataFrame],
          diffusion: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The hypotheses and the before/after rows of ``diffusion``."""
    result = simulate(tables["out_indicateurs"], tables["core_territoires"], scenario,
                      seuil_zone_blanche(projet))
    return (hypotheses_table(scenario, tables["out_indicateurs"]),
            result[result["diffusion"] == diffusion].reset_index(drop=True))


def run_scenario(projet: Projet, millesime: int, path: Path) -> Resultat:
    """Apply ``path`` to ``millesime`` and write ``reports/<millésime>/scenarios/<nom>.csv``
    and ``.xlsx`` (under the project's lock)."""

    shown = _shown(projet, path)
    scenario = read_scenario(path, shown)
    diffusion = reglages(projet).diffusion
    with project_lock(projet.dir):
        tables = built_tables(projet, millesime)
        hypotheses, table = apply(projet, scenario, tables, diffusion)
        folder = projet.reports_dir(millesime) / outputs.FOLDER
        csv_path, xlsx_path = folder / f"{path.stem}.csv", folder / f"{path.stem}.xlsx"
        write_bytes(csv_path, outputs.to_csv(table))
        write_bytes(xlsx_path, outputs.to_xlsx(table, hypotheses, titre=scenario.titre,
                                                 fichier=shown, millesime=millesime,
                                                 notice=projet.notice))
    return Resultat(scenario, diffusion, hypotheses, table, [csv_path, xlsx_path])


def _shown(projet: Projet, path: Path) -> str:
    """The file's path relative to the project when inside it, as given otherwise."""
    try:
        return path.resolve().relative_to(projet.dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def project_scenarios(projet: Projet, tables: dict[str, pd.DataFrame]) -> list[dict]:
    """The project's what-if files applied for the report (publique diffusion); a file that
    cannot be applied gives its French error instead of stopping the build (the scenarios
    stage, ``scenario/stage.py``, writes them as tables)."""
    out = []
    for path in scenario_files(projet):
        shown = _shown(projet, path)
        try:
            scenario = read_scenario(path, shown)
            hypotheses, table = apply(projet, scenario, tables, "publique")
        except ScenarioError as exc:
            details = " ".join(p.message for p in exc.problemes)
            out.append({"fichier": shown, "erreur": f"{exc.message} {details}".strip()})
            continue
        out.append({"fichier": shown, "titre": scenario.titre,
                    "hypotheses": hypotheses["description"].tolist(),
                    "hypotheses_table": hypotheses, "table": table})
    return out
