"""The Python API behind the commands: run stages of a millésime and publish atomically.

A run writes into staging folders and swaps them in only at the end, so a failed run leaves the
previous ``data/processed/<millésime>/`` and ``reports/<millésime>/`` untouched.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iae_etat import __version__
from iae_etat.catalogue import Catalogue, discard, publish, staging_dir, write_text
from iae_etat.config import SOURCES, Projet
from iae_etat.errors import EXIT_DATA, EXIT_OK, UsageError
from iae_etat.sources.adapters import file_sha256

STEPS = ("ingest", "analyse", "report")
MANIFEST = "build.json"


@dataclass
class Summary:
    """What a run did, printed to the user and written in ``build.json``."""

    millesime: int
    etapes: list[str]
    code_sortie: int = EXIT_OK
    erreurs: int = 0
    avertissements: int = 0
    questionnaires_recus: int = 0
    questionnaires_retenus: int = 0
    sources_absentes: list[str] = field(default_factory=list)
    sorties: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    duree_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def run(projet: Projet, millesime: int, steps: tuple[str, ...] = STEPS,
        strict: bool = False) -> Summary:
    """Run ``steps`` for ``millesime`` and publish their outputs; never half-publish."""
    from iae_etat.analyse.run import run_analyse
    from iae_etat.ingest import run_ingest
    from iae_etat.report.run import run_report

    started = time.perf_counter()
    processed = projet.processed_dir(millesime)
    reports = projet.reports_dir(millesime)
    if "ingest" not in steps and not (processed / "core_structures.parquet").is_file():
        raise UsageError(f"Aucune table ingérée pour {millesime} dans {processed}.",
                         conseil="Lancez d'abord « iae-etat ingest » ou « iae-etat build ».")
    if "report" in steps and "analyse" not in steps \
            and not (processed / "out_indicateurs.parquet").is_file():
        raise UsageError(f"Aucun indicateur calculé pour {millesime} dans {processed}.",
                         conseil="Lancez d'abord « iae-etat analyse » ou « iae-etat build ».")
    summary = Summary(millesime=millesime, etapes=list(steps))
    stage_processed = staging_dir(processed)
    stage_reports = staging_dir(reports) if "report" in steps else None
    try:
        if "ingest" not in steps:
            _copy_into(processed, stage_processed)
        catalogue = Catalogue(stage_processed, projet.dir, notice=notice(projet))
        if "ingest" in steps:
            result = run_ingest(projet, millesime, catalogue)
            summary.questionnaires_recus = result.questionnaires_recus
            summary.questionnaires_retenus = result.questionnaires_retenus
            summary.sources_absentes = result.sources_absentes
        anomalies = catalogue.read("core_anomalies")["gravite"].value_counts()
        summary.erreurs = int(anomalies.get("erreur", 0))
        summary.avertissements = int(anomalies.get("avertissement", 0))
        if "analyse" in steps:
            run_analyse(projet, catalogue)
        if stage_reports is not None:
            _copy_into(reports, stage_reports)
            written = run_report(projet, millesime, catalogue, stage_reports)
            summary.sorties = [(reports / p.relative_to(stage_reports)).relative_to(projet.dir)
                               .as_posix() for p in written]
            summary.duree_s = round(time.perf_counter() - started, 3)
            write_text(stage_reports / MANIFEST, manifest(projet, millesime, summary,
                                                          stage_processed))
    except BaseException:
        discard(stage_processed)
        if stage_reports is not None:
            discard(stage_reports)
        raise
    summary.tables = sorted(p.stem for p in stage_processed.glob("*.parquet"))
    publish(stage_processed, processed)
    if stage_reports is not None:
        publish(stage_reports, reports)
    summary.duree_s = round(time.perf_counter() - started, 3)
    if strict and summary.erreurs:
        summary.code_sortie = EXIT_DATA
    return summary


def notice(projet: Projet) -> str:
    """The warning every output of a fictional project carries, else an empty string."""
    return "Données fictives de démonstration" if projet.donnees_fictives else ""


def _copy_into(published: Path, staging: Path) -> None:
    """Start a staging folder from the published outputs (for partial runs)."""
    if published.is_dir():
        shutil.copytree(published, staging, dirs_exist_ok=True)


def manifest(projet: Projet, millesime: int, summary: Summary, processed: Path) -> str:
    """``build.json``: version, inputs with their hashes, tables, counts and the build date."""
    inputs = [{"fichier": "iae-etat.toml", "sha256": file_sha256(projet.config_path)}]
    for source in SOURCES:
        folder = projet.raw_dir(source, millesime)
        if folder.is_dir():
            inputs += [{"fichier": p.relative_to(projet.dir).as_posix(), "sha256": file_sha256(p)}
                       for p in sorted(folder.rglob("*")) if p.is_file()]
    tables = {p.stem: file_sha256(p) for p in sorted(processed.glob("*.parquet"))}
    content = {
        "iae_etat": __version__, "millesime": millesime, "projet": projet.nom,
        "departements": list(projet.departements), "avertissement": notice(projet),
        "date_build": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "entrees": inputs, "tables": tables, "resume": summary.as_dict()}
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"
