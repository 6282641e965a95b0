"""The stages of a millésime, declared as data: what each one reads and what it writes.

A ``Stage`` names its inputs — raw sources (``data/raw/<source>/<millésime>/``), tables, sections
of ``iae-etat.toml``, resource kinds (the bundled ``pipelines/``, ``schemas/``, ``templates/`` and
the project's overrides), other project files — and its outputs: tables of
``data/processed/<millésime>/`` or files of ``reports/<millésime>/``. Everything else derives
from ``STAGES``: the order and the plan of a build (a stage depends on the stages that write the
tables it reads), the incremental fingerprint (``incremental.fingerprint``), the prerequisites of
a partial run, ``iae-etat status`` and ``iae-etat check``.

The runners import their stage's module when called: those pull pandas, and ``status`` or
``--help`` must answer without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from iae_etat.common.vocabulary import (
    CALAGE_GROUPS,
    QUESTIONNAIRES,
    QUESTIONNAIRES_RESIDENCE,
    SCENARIOS,
    SCENARIOS_HYPOTHESES,
    SCENARIOS_RESULTS,
)
from iae_etat.project.config import SOURCES, Projet
from iae_etat.project.settings import scenario_files
from iae_etat.report.pdf import PDF_NAME, pdf_stage
from iae_etat.tables.files import HashCache

if TYPE_CHECKING:
    from iae_etat.tables.catalogue import Catalogue

# The partial commands, in the order of a build: each runs the stages declared with it.
COMMANDS = ("ingest", "analyse", "report")


@dataclass
class Run:
    """What a runner gets: the staging catalogue and reports folder of the build."""

    projet: Projet
    millesime: int
    catalogue: Catalogue
    reports: Path | None
    cache: HashCache
    pdf: bool = False


@dataclass
class Outcome:
    """What a runner gives back: the report files written, counts for the summary (fields of
    ``build.Summary``), messages for the user and the problems found (for ``check``)."""

    files: list[Path] = field(default_factory=list)
    counts: dict[str, object] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    problemes: list = field(default_factory=list)


ProjectFiles = Callable[[Projet], list[Path]]


@dataclass(frozen=True)
class Stage:
    """One stage: its name (in ``etat.json``, ``build.json`` and ``--json``), French label and
    runner, then its inputs and outputs.

    ``files`` are glob patterns relative to the project folder, or functions of the project
    giving the files (a folder named in the settings). ``earlier_builds``: the stage compares
    with the ``out_indicateurs`` of every earlier millésime built. ``reports`` are the files
    written in ``reports/<millésime>/`` (glob patterns, for the reader; the runner returns the
    paths), ``problems`` the output tables of ``Probleme`` rows, ``check``: run by
    ``iae-etat check`` on the files received, without building.
    """

    name: str
    label: str
    command: str
    runner: Callable[[Run], Outcome]
    raw: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    optional_tables: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    files: tuple[str | ProjectFiles, ...] = ()
    earlier_builds: bool = False
    outputs: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    check: bool = False

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every table the stage reads."""
        return self.tables + self.optional_tables

    def required_outputs(self, pdf: bool) -> tuple[str, ...]:
        """Report files that must have been recorded for the stage to be up to date."""
        return (PDF_NAME,) if pdf and PDF_NAME in self.reports else ()


def _ingest(run: Run) -> Outcome:
    from iae_etat.sources.stage import run_ingest

    result = run_ingest(run.projet, run.millesime, run.catalogue, run.cache, keep_reads=True)
    counts = ("questionnaires_recus", "questionnaires_retenus", "questionnaires_manquants",
              "questionnaires_ecartes", "sources_absentes")
    return Outcome(counts={k: getattr(result, k) for k in counts}, problemes=result.problemes)


def _analyse(run: Run) -> Outcome:
    from iae_etat.analyse.stage import run_analyse

    run_analyse(run.projet, run.millesime, run.catalogue)
    return Outcome()


def _scenarios(run: Run) -> Outcome:
    from iae_etat.scenario.stage import run_scenarios

    run_scenarios(run.projet, run.catalogue)
    return Outcome()


def _controls(run: Run) -> Outcome:
    from iae_etat.questionnaire.stage import run_controls

    return Outcome(files=run_controls(run.projet, run.millesime, run.catalogue, run.reports,
                                      problem_tables()))


def _report(run: Run) -> Outcome:
    from iae_etat.report.stage import REPORT_NAME, run_report

    paths = run_report(run.projet, run.millesime, run.catalogue, run.reports)
    pdf_paths, message = pdf_stage(run.reports, REPORT_NAME, run.pdf)
    return Outcome(files=paths + pdf_paths, messages=[message] if message else [])


_INGESTED = ("core_anomalies", "core_asp", "core_asp_bilan", "core_besoins",
             "core_besoins_territoires", "core_collecte", "core_reponses_lues", "core_sources",
             "core_structures",
             "core_territoires", "raw_france_travail", QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE,
             "raw_structures")

STAGES: tuple[Stage, ...] = (
    Stage("ingest", "ingestion", "ingest", _ingest,
          raw=SOURCES, settings=("projet",), resources=("pipelines", "schemas"),
          outputs=_INGESTED, problems=("core_anomalies",), check=True),
    Stage("analyse", "analyse", "analyse", _analyse,
          tables=("core_territoires", "core_structures"),
          optional_tables=("core_besoins", "core_besoins_territoires", "core_asp",
                           QUESTIONNAIRES, QUESTIONNAIRES_RESIDENCE),
          settings=("projet", "secret_statistique", "analyse", "financement", "valorisation"),
          resources=("pipelines", "schemas"), earlier_builds=True,
          outputs=("out_indicateurs", "out_couverture", "out_ecarts", "out_controles",
                   "out_evolution", CALAGE_GROUPS),
          problems=("out_controles",)),
    Stage("scenarios", "scénarios", "analyse", _scenarios,
          tables=("out_indicateurs", "core_territoires"),
          settings=("projet", "analyse", "rapport"), resources=("schemas",),
          files=(scenario_files,),
          outputs=(SCENARIOS, SCENARIOS_HYPOTHESES, SCENARIOS_RESULTS)),
    Stage("controles", "contrôles", "report", _controls,
          # the annotated returns are rebuilt from the answers read, never from the raw files
          tables=("core_anomalies", "out_controles", "core_collecte", "core_reponses_lues",
                  "core_territoires"),
          settings=("projet", "campagne"),
          reports=("controles/anomalies.csv", "controles/anomalies.xlsx",
                   "controles/retours/*.xlsx")),
    Stage("report", "rapport", "report", _report,
          raw=("geo",),
          tables=("out_indicateurs", "out_evolution", "out_couverture", "out_ecarts",
                  CALAGE_GROUPS, SCENARIOS, SCENARIOS_HYPOTHESES, SCENARIOS_RESULTS,
                  "core_anomalies", "out_controles", "core_collecte", "core_structures",
                  "core_territoires", "core_sources"),
          optional_tables=(QUESTIONNAIRES,),
          settings=("projet", "secret_statistique", "analyse", "financement", "valorisation",
                    "bonnes_pratiques", "rapport"),
          resources=("templates", "schemas"),
          # the maps' outlines and the committee's commentary files (report.commentaires)
          files=("data/raw/geo/*.geojson", "commentaires/{millesime}/*.md"),
          reports=("etat-des-lieux.html", "annexes.html", "etat-des-lieux.docx",
                   "tableau-de-bord.xlsx", "tableau-de-bord-*.csv", "annexe4-*.csv",
                   "annexe4-*.xlsx", PDF_NAME, "annexes.pdf")),
)
BY_NAME = {stage.name: stage for stage in STAGES}


def label(name: str) -> str:
    """The French label of the stage ``name``."""
    return BY_NAME[name].label


def for_commands(commands: tuple[str, ...]) -> list[str]:
    """The stages run by ``commands`` (``ingest``, ``analyse``, ``report``), in build order."""
    return [stage.name for stage in STAGES if stage.command in commands]


def producer(table: str) -> Stage | None:
    """The stage that writes ``table``."""
    return next((stage for stage in STAGES if table in stage.outputs), None)


def upstream(stage: Stage) -> list[str]:
    """The stages writing the tables ``stage`` reads, in build order."""
    writers = {w.name for t in stage.inputs if (w := producer(t)) is not None}
    return [s.name for s in STAGES if s.name in writers]


def downstream(name: str) -> list[str]:
    """The stages that read, directly or not, a table written by stage ``name``."""
    found: list[str] = []
    for stage in STAGES:
        if any(u == name or u in found for u in upstream(stage)):
            found.append(stage.name)
    return found


def declared_tables() -> set[str]:
    """Every table a stage writes."""
    return {table for stage in STAGES for table in stage.outputs}


def problem_tables() -> tuple[str, ...]:
    """The tables of ``Probleme`` rows, in build order (the controls files list them)."""
    return tuple(table for stage in STAGES for table in stage.problems)


def project_files(stage: Stage, projet: Projet, millesime: int) -> list[Path]:
    """The files ``stage`` reads from the project: its raw sources of ``millesime``, then its
    other files, each group sorted."""
    files: list[Path] = []
    for source in stage.raw:
        folder = projet.raw_dir(source, millesime)
        if folder.is_dir():
            files += sorted(p for p in folder.rglob("*") if p.is_file())
    for pattern in stage.files:
        found = (projet.dir.glob(pattern.format(millesime=millesime)) if isinstance(pattern, str)
                 else pattern(projet))
        files += sorted(p for p in found if p.is_file())
    return files
