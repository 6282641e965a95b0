"""The Python API behind the commands: run the stages of a millésime, incrementally and safely.

A run holds the project's lock, reruns only the stages whose inputs changed (``incremental.py``),
writes into staging folders and swaps them in only at the end: a failed or killed run leaves the
previous ``data/processed/<millésime>/`` and ``reports/<millésime>/`` untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from iae_etat import __version__
from iae_etat.common.errors import EXIT_DATA, EXIT_OK, UsageError, WriteError, os_error_text
from iae_etat.common.machine import release_memory
from iae_etat.common.vocabulary import AUDIT_FILE
from iae_etat.pipeline import incremental, stages
from iae_etat.pipeline.stages import COMMANDS, Outcome, Run, Stage
from iae_etat.project.config import Projet
from iae_etat.project.lock import project_lock
from iae_etat.project.log import Journal
from iae_etat.project.settings import reglages
from iae_etat.tables.files import HashCache, discard, publish, sha256_file, staging_dir, write_text

MANIFEST = "build.json"
MAPPED_FROM = 1024 * 1024  # bytes: larger blocks are mapped on their own (``return_large_blocks``)
_M_MMAP_THRESHOLD = -3  # glibc's ``mallopt`` parameter


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


def run(projet: Projet, millesime: int, commands: tuple[str, ...] = COMMANDS,
        strict: bool = False, force: bool = False, journal: Journal | None = None,
        on_stage: Callable[[str], None] | None = None, pdf: bool = False) -> Summary:
    """Run the stale stages of ``commands`` (``ingest``, ``analyse``, ``report``: each runs the
    stages declared with it in ``stages.STAGES``) for ``millesime`` and publish their outputs.

    ``pdf`` (or ``[rapport] pdf = true``) adds ``etat-des-lieux.pdf`` to the report stage.
    """
    pdf = pdf or reglages(projet).pdf
    journal = journal or Journal()
    started = time.perf_counter()
    steps = tuple(stages.for_commands(commands))
    summary = Summary(millesime=millesime, etapes=list(steps))
    with project_lock(projet.dir):
        journal.event("debut", millesime=millesime, etapes=list(steps), force=force)
        processed, reports = projet.processed_dir(millesime), projet.reports_dir(millesime)
        _remove_leftovers(processed, reports)
        state = incremental.load_state(processed)
        cache = HashCache(state.get("empreintes_fichiers"))
        plan = _plan(projet, millesime, steps, state, cache, force, pdf)
        if plan:
            _check_prerequisites(plan, processed)
            try:
                _execute(projet, millesime, plan, state, cache, summary, journal, on_stage, pdf)
            except OSError as exc:
                journal.event("echec_ecriture", millesime=millesime, errno=exc.errno)
                raise WriteError(
                    f"Écriture impossible ({os_error_text(exc)}) : rien n'a été publié, "
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
    """Stage → new fingerprint, for the stages of ``steps`` that must run: those whose inputs
    or outputs changed, and those reading a table that a stage of this run rewrites."""
    plan: dict[str, str] = {}
    fingerprints: dict[str, str] = {}
    for stage in stages.STAGES:
        before = stages.upstream(stage)
        fp = incremental.fingerprint(stage, [fingerprints[name] for name in before], projet,
                                     millesime, cache)
        fingerprints[stage.name] = fp
        recorded = state.get("etapes", {}).get(stage.name, {})
        outputs = recorded.get("sorties", {})
        stale = force or any(name in plan for name in before) \
            or recorded.get("empreinte") != fp \
            or not incremental.outputs_intact(_root(projet, millesime, stage), outputs, cache) \
            or any(name not in outputs for name in stage.required_outputs(pdf))
        if stage.name in steps and stale:
            plan[stage.name] = fp
    return plan


def _root(projet: Projet, millesime: int, stage: Stage) -> Path:
    """Where ``stage`` writes: the reports folder, or the processed one."""
    return projet.reports_dir(millesime) if stage.reports else projet.processed_dir(millesime)


def stale_stages(projet: Projet, millesime: int) -> list[str]:
    """The stages a ``build`` of ``millesime`` would rerun now (read-only, no lock)."""
    state = incremental.load_state(projet.processed_dir(millesime))
    return list(_plan(projet, millesime, tuple(stages.BY_NAME), state, HashCache(
        state.get("empreintes_fichiers")), force=False, pdf=reglages(projet).pdf))


def _check_prerequisites(plan: dict[str, str], processed: Path) -> None:
    """Every table a planned stage needs is written by this run or already published."""
    for name in plan:
        for table in stages.BY_NAME[name].tables:
            writer = stages.producer(table)
            if writer is None or writer.name in plan \
                    or (processed / f"{table}.parquet").is_file():
                continue
            raise UsageError(
                f"Étape « {writer.label} » jamais faite : la table {table} manque dans "
                f"{processed}.",
                conseil=f"Lancez d'abord « iae-etat {writer.command} » ou « iae-etat build ».")


def _execute(projet: Projet, millesime: int, plan: dict[str, str], state: dict,
             cache: HashCache, summary: Summary, journal: Journal,
             on_stage: Callable[[str], None] | None, pdf: bool = False) -> None:
    from iae_etat.tables.catalogue import Catalogue

    use_arrow_pool()
    return_large_blocks()
    processed, reports = projet.processed_dir(millesime), projet.reports_dir(millesime)
    stage_processed = staging_dir(processed)
    stage_reports = staging_dir(reports) \
        if any(stages.BY_NAME[name].reports for name in plan) else None
    recorded = state.setdefault("etapes", {})
    try:
        _copy_into(processed, stage_processed)
        if stage_reports is not None:
            _copy_into(reports, stage_reports)
        catalogue = Catalogue(stage_processed, projet.dir, notice=projet.notice)
        for name in plan:
            stage = stages.BY_NAME[name]
            if on_stage is not None:
                on_stage(name)
            begun = time.perf_counter()
            _clear_tables(stage, stage_processed)
            outcome = stage.runner(Run(projet, millesime, catalogue, stage_reports, cache, pdf))
            written = _written(stage, outcome, stage_processed, stage_reports)
            _add_to_summary(summary, outcome, projet, reports, written if stage.reports else [])
            root = stage_reports if stage.reports else stage_processed
            recorded[name] = {"empreinte": plan[name],
                              "sorties": incremental.output_hashes(root, written)}
            release_memory()
            journal.event("etape", etape=name, duree_s=round(time.perf_counter() - begun, 3),
                          fichiers=len(written))
        problems = [catalogue.read(name)[["regle", "gravite"]]
                    for name in stages.problem_tables() if catalogue.exists(name)]
        anomalies = Counter(g for frame in problems for g in frame["gravite"])
        summary.erreurs = int(anomalies.get("erreur", 0))
        summary.avertissements = int(anomalies.get("avertissement", 0))
        # the problems by rule and gravité: codes and counts only, never a value or a name
        by_rule = Counter((r, g) for frame in problems
                          for r, g in zip(frame["regle"], frame["gravite"], strict=True))
        journal.event("problemes", millesime=millesime, erreurs=summary.erreurs,
                      avertissements=summary.avertissements,
                      informations=int(anomalies.get("info", 0)),
                      regles=[{"regle": r, "gravite": g, "nombre": n}
                              for (r, g), n in sorted(by_rule.items())])
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


def _clear_tables(stage: Stage, folder: Path) -> None:
    """Before ``stage`` runs: remove its tables, those of the stages that depend on it (they
    would describe other inputs) and any table no stage declares (left by an older version)."""
    declared = stages.declared_tables()
    cleared = set(stage.outputs).union(*(stages.BY_NAME[name].outputs
                                         for name in stages.downstream(stage.name)))
    for path in folder.glob("*.parquet"):
        if path.stem in cleared or path.stem not in declared:
            path.unlink()


def _written(stage: Stage, outcome: Outcome, processed: Path, reports: Path | None) -> list[str]:
    """The outputs ``stage`` wrote, relative to where it writes; a table it does not declare
    is a programming error (the registry would no longer tell what the stage writes)."""
    if stage.reports:
        return [path.relative_to(reports).as_posix() for path in outcome.files]
    undeclared = sorted(p.stem for p in processed.glob("*.parquet")
                        if p.stem not in stages.declared_tables())
    if undeclared:
        raise RuntimeError(f"stage {stage.name} wrote tables missing from stages.STAGES: "
                           f"{', '.join(undeclared)}")
    return [f"{table}.parquet" for table in stage.outputs
            if (processed / f"{table}.parquet").is_file()]


def _add_to_summary(summary: Summary, outcome: Outcome, projet: Projet, reports: Path,
                    written: list[str]) -> None:
    for key, value in outcome.counts.items():
        setattr(summary, key, value)
    summary.messages += outcome.messages
    summary.sorties += [(reports / name).relative_to(projet.dir).as_posix() for name in written]


def use_arrow_pool() -> None:
    """Arrow on jemalloc where its wheel has it (a national report peaked at 1,2 Gio, against
    1,5 with mimalloc and 1,7 with the C allocator); a user's ARROW_DEFAULT_MEMORY_POOL wins."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:
        pass  # a wheel without jemalloc: its default pool


def return_large_blocks() -> None:
    """Blocks of ``MAPPED_FROM`` bytes and more (a column of a national table) mapped each on
    its own, so that freeing one gives it back to the system. glibc otherwise raises that
    threshold after the first large free and keeps the next large blocks in its heap,
    fragmented: a national analyse held half a gigaoctet it no longer used. A user's
    MALLOC_MMAP_THRESHOLD_ wins; other C libraries manage their memory their own way."""
    import ctypes
    import platform

    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or platform.libc_ver()[0] != "glibc":
        return
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM)
    except (OSError, AttributeError):
        pass


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
