"""The Python API behind the commands: run the stages of a millésime, incrementally and safely.

A run holds the project's lock, reruns only the stages whose inputs changed (``incremental.py``),
writes into staging folders and swaps them in only at the end: a failed or killed run leaves the
previous ``data/processed/<millésime>/`` and ``reports/<millésime>/`` untouched.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iae_etat import __version__
from iae_etat.common.errors import EXIT_DATA, EXIT_OK, UsageError, WriteError
from iae_etat.pipeline import incremental
from iae_etat.project.config import Projet
from iae_etat.project.lock import project_lock
from iae_etat.project.log import Journal
from iae_etat.project.settings import reglages
from iae_etat.report.pdf import PDF_NAME, pdf_stage
from iae_etat.tables.files import HashCache, discard, publish, sha256_file, staging_dir, write_text

STEPS = ("ingest", "analyse", "report")
MANIFEST = "build.json"
STAGE_LABELS = {"ingest": "ingestion", "analyse": "analyse", "report": "rapport"}


@dataclass
class Summary:
    """What a run did, printed to the user and written in ``build.json``."""

    millesime: int
    etapes: list[str]
    etapes_relancees: list[str] = field(default_factory=list)
    code_sortie: int = EXIT_OK
    erreurs: int = 0
    avertissements: int = 0
    questionnaires_recus: int = 0
    questionnaires_retenus: int = 0
    questionnaires_manquants: int = 0
    questionnaires_ecartes: int = 0
    sources_absentes: list[str] = field(default_factory=list)
    sorties: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    secret_statistique: dict = field(default_factory=dict)  # the summary of the LP audit
    duree_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def run(projet: Projet, millesime: int, steps: tuple[str, ...] = STEPS, strict: bool = False,
        force: bool = False, journal: Journal | None = None,
        on_stage: Callable[[str], None] | None = None, pdf: bool = False) -> Summary:
    """Run the stale ones of ``steps`` for ``millesime`` and publish their outputs.

    ``pdf`` (or ``[rapport] pdf = true``) adds ``etat-des-lieux.pdf`` to the report stage.
    """
    pdf = pdf or reglages(projet).pdf
    journal = journal or Journal()
    started = time.perf_counter()
    summary = Summary(millesime=millesime, etapes=list(steps))
    with project_lock(projet.dir):
        journal.event("debut", millesime=millesime, etapes=list(steps), force=force)
        processed, reports = projet.processed_dir(millesime), projet.reports_dir(millesime)
        _remove_leftovers(processed, reports)
        state = incremental.load_state(processed)
        cache = HashCache(state.get("empreintes_fichiers"))
        plan = _plan(projet, millesime, steps, state, cache, force, pdf)
        if plan:
            _check_prerequisites(steps, plan, processed)
            try:
                _execute(projet, millesime, plan, state, cache, summary, journal, on_stage, pdf)
            except OSError as exc:
                journal.event("echec_ecriture", millesime=millesime, errno=exc.errno)
                raise WriteError(
                    f"Écriture impossible ({exc.strerror or exc}) : rien n'a été publié, "
                    "les résultats précédents sont intacts.",
                    conseil="Libérez de la place ou vérifiez les droits du dossier du projet, "
                            "puis relancez.") from exc
        else:
            _summarise_previous(state, summary)
        summary.etapes_relancees = list(plan)
        summary.duree_s = round(time.perf_counter() - started, 3)
        if strict and summary.erreurs:
            summary.code_sortie = EXIT_DATA
        journal.event("fin", millesime=millesime, etapes_relancees=list(plan),
                      erreurs=summary.erreurs, avertissements=summary.avertissements,
                      code_sortie=summary.code_sortie, duree_s=summary.duree_s)
    return summary


def _plan(projet: Projet, millesime: int, steps: tuple[str, ...], state: dict,
          cache: HashCache, force: bool, pdf: bool = False) -> dict[str, str]:
    """Stage → new fingerprint, for the stages of ``steps`` that must run."""
    plan: dict[str, str] = {}
    previous = ""
    stale_before = False
    for stage in STEPS:
        fp = incremental.fingerprint(stage, previous, projet, millesime, cache)
        recorded = state.get("etapes", {}).get(stage, {})
        root = projet.reports_dir(millesime) if stage == "report" \
            else projet.processed_dir(millesime)
        stale = force or stale_before or recorded.get("empreinte") != fp \
            or not incremental.outputs_intact(root, recorded.get("sorties", {}), cache) \
            or (stage == "report" and pdf and PDF_NAME not in recorded.get("sorties", {}))
        if stage in steps and stale:
            plan[stage] = fp
        stale_before = stale_before or (stale and stage in steps)
        previous = fp
    return plan


def stale_stages(projet: Projet, millesime: int) -> list[str]:
    """The stages a ``build`` of ``millesime`` would rerun now (read-only, no lock)."""
    state = incremental.load_state(projet.processed_dir(millesime))
    return list(_plan(projet, millesime, STEPS, state, HashCache(
        state.get("empreintes_fichiers")), force=False, pdf=reglages(projet).pdf))


def _check_prerequisites(steps: tuple[str, ...], plan: dict[str, str], processed: Path) -> None:
    if "ingest" not in steps and not (processed / "core_structures.parquet").is_file():
        raise UsageError(f"Aucune table ingérée dans {processed}.",
                         conseil="Lancez d'abord « iae-etat ingest » ou « iae-etat build ».")
    if "report" in plan and "analyse" not in steps \
            and not (processed / "out_indicateurs.parquet").is_file():
        raise UsageError(f"Aucun indicateur calculé dans {processed}.",
                         conseil="Lancez d'abord « iae-etat analyse » ou « iae-etat build ».")


def _execute(projet: Projet, millesime: int, plan: dict[str, str], state: dict,
             cache: HashCache, summary: Summary, journal: Journal,
             on_stage: Callable[[str], None] | None, pdf: bool = False) -> None:
    from iae_etat.analyse.stage import AUDIT_FILE, run_analyse
    from iae_etat.report.stage import REPORT_NAME, run_report
    from iae_etat.sources.stage import run_ingest
    from iae_etat.tables.catalogue import Catalogue

    processed, reports = projet.processed_dir(millesime), projet.reports_dir(millesime)
    stage_processed = staging_dir(processed)
    stage_reports = staging_dir(reports) if "report" in plan else None
    stages = state.setdefault("etapes", {})
    try:
        _copy_into(processed, stage_processed)
        catalogue = Catalogue(stage_processed, projet.dir, notice=projet.notice)
        for stage in plan:
            if on_stage is not None:
                on_stage(stage)
            begun = time.perf_counter()
            if stage == "ingest":
                for old in stage_processed.glob("*.parquet"):
                    old.unlink()
                result = run_ingest(projet, millesime, catalogue, cache)
                summary.questionnaires_recus = result.questionnaires_recus
                summary.questionnaires_retenus = result.questionnaires_retenus
                summary.questionnaires_manquants = result.questionnaires_manquants
                summary.questionnaires_ecartes = result.questionnaires_ecartes
                summary.sources_absentes = result.sources_absentes
                written = [p.name for p in stage_processed.glob("*.parquet")]
                root = stage_processed
            elif stage == "analyse":
                run_analyse(projet, millesime, catalogue)
                written = [p.name for p in stage_processed.glob("out_*.parquet")]
                root = stage_processed
            else:
                _copy_into(reports, stage_reports)
                paths = run_report(projet, millesime, catalogue, stage_reports)
                pdf_paths, message = pdf_stage(stage_reports, REPORT_NAME, pdf)
                paths += pdf_paths
                summary.messages += [message] if message else []
                written = [p.relative_to(stage_reports).as_posix() for p in paths]
                summary.sorties = [(reports / name).relative_to(projet.dir).as_posix()
                                   for name in written]
                root = stage_reports
            stages[stage] = {"empreinte": plan[stage],
                             "sorties": incremental.output_hashes(root, written)}
            release_memory()
            journal.event("etape", etape=stage, duree_s=round(time.perf_counter() - begun, 3),
                          fichiers=len(written))
        anomalies = Counter(g for name in ("core_anomalies", "out_controles")
                            if catalogue.exists(name) for g in catalogue.read(name)["gravite"])
        summary.erreurs = int(anomalies.get("erreur", 0))
        summary.avertissements = int(anomalies.get("avertissement", 0))
        summary.tables = sorted(p.stem for p in stage_processed.glob("*.parquet"))
        audit_file = stage_processed / AUDIT_FILE
        if audit_file.is_file():
            summary.secret_statistique = json.loads(audit_file.read_text("utf-8"))
        state["resume"] = {k: v for k, v in summary.as_dict().items()
                           if k in ("erreurs", "avertissements", "questionnaires_recus",
                                    "questionnaires_retenus", "questionnaires_manquants",
                                    "questionnaires_ecartes", "sources_absentes", "sorties",
                                    "tables")}
        state["empreintes_fichiers"] = {k: v for k, v in cache.seen.items()
                                        if k.startswith(str(projet.dir / "data" / "raw"))}
        if stage_reports is not None:
            write_text(stage_reports / MANIFEST, manifest(projet, millesime, summary,
                                                          stage_processed, cache))
        write_text(stage_processed / incremental.STATE_NAME,
                   json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    except BaseException:
        discard(stage_processed)
        if stage_reports is not None:
            discard(stage_reports)
        raise
    # Reports first: if the run dies between the two swaps, the processed state is still the
    # old one and the next run redoes the report.
    if stage_reports is not None:
        publish(stage_reports, reports)
    publish(stage_processed, processed)


def release_memory() -> None:
    """Give the memory a stage freed back to the system (glibc keeps freed blocks in its heap,
    fragmented: the next stage of a national build would otherwise add its peak to them)."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)  # the C library the interpreter is linked with
    except (OSError, AttributeError):
        pass  # not glibc: its allocator returns memory its own way


def _summarise_previous(state: dict, summary: Summary) -> None:
    """Counts of the last run, for an up-to-date project."""
    for key, value in state.get("resume", {}).items():
        setattr(summary, key, value)


def _remove_leftovers(*published: Path) -> None:
    """Remove the staging folders a killed run may have left (we hold the lock)."""
    for folder in published:
        if folder.parent.is_dir():
            for leftover in folder.parent.glob(f".{folder.name}.*"):
                shutil.rmtree(leftover, ignore_errors=True)


def _copy_into(published: Path, staging: Path) -> None:
    """Start a staging folder from the published outputs (for partial runs)."""
    if published.is_dir():
        shutil.copytree(published, staging, dirs_exist_ok=True)


def manifest(projet: Projet, millesime: int, summary: Summary, processed: Path,
             cache: HashCache) -> str:
    """``build.json``: version, inputs with their hashes (from the build's ``cache``), tables,
    counts and the build date."""
    inputs = [{"fichier": "iae-etat.toml", "sha256": cache.hash(projet.config_path)}]
    inputs += [{"fichier": p.relative_to(projet.dir).as_posix(), "sha256": cache.hash(p)}
               for p in incremental.raw_files(projet, millesime)]
    tables = {p.stem: sha256_file(p) for p in sorted(processed.glob("*.parquet"))}
    content = {
        "iae_etat": __version__, "millesime": millesime, "projet": projet.nom,
        "departements": list(projet.departements), "avertissement": projet.notice,
        "date_build": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "entrees": inputs, "tables": tables, "resume": summary.as_dict()}
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"
