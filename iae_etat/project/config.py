"""The project directory and its configuration file ``iae-etat.toml``.

A project is found by ``--project-dir``, then ``IAE_ETAT_PROJECT_DIR``, then by walking up from
the current directory. Every configuration mistake becomes a ``ConfigError`` naming the file and
the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iae_etat.common.errors import ConfigError
from iae_etat.project.validation import Settings, defaults, parse, validate
from iae_etat.territoires.codes import normalise_departement

CONFIG_NAME = "iae-etat.toml"
ENV_PROJECT_DIR = "IAE_ETAT_PROJECT_DIR"
SOURCES = ("questionnaires", "structures", "asp", "france_travail", "caf", "insee", "qpv", "frr",
           "clpe", "geo")
_MILLESIME = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class SecretConfig:
    """Statistical secrecy thresholds and the text that justifies them."""

    seuil_effectifs: int = 11
    seuil_dominance: float = 0.85
    source: str = ""
    # at least this many contributing SIAE for a figure drawn from the structures' data
    seuil_structures: int = 3
    source_structures: str = ""
    # protection interval of a primary cell: people either side of a count, share of an amount
    protection_effectifs: float = 11.0
    protection_montants: float = 0.10
    coordination: bool = True


@dataclass(frozen=True)
class Projet:
    """A project directory and its validated configuration."""

    dir: Path
    nom: str
    departements: tuple[str, ...]
    donnees_fictives: bool = False
    secret: SecretConfig = SecretConfig()
    settings: Settings = field(default_factory=defaults)

    @property
    def notice(self) -> str:
        """The warning every output of a fictional project carries, else an empty string."""
        return "Données fictives de démonstration" if self.donnees_fictives else ""

    @property
    def config_path(self) -> Path:
        return self.dir / CONFIG_NAME

    def section(self, name: str) -> Mapping[str, Any]:
        """The validated values of ``[name]``, defaults filled in (``project/declaration.py``)."""
        return self.settings.section(name)

    def raw_dir(self, source: str, millesime: int | None = None) -> Path:
        base = self.dir / "data" / "raw" / source
        return base if millesime is None else base / str(millesime)

    def processed_dir(self, millesime: int) -> Path:
        return self.dir / "data" / "processed" / str(millesime)

    def reports_dir(self, millesime: int) -> Path:
        return self.dir / "reports" / str(millesime)

    def cache_dir(self, store: str, millesime: int) -> Path:
        """The folder of one store of ``data/cache/`` (``common.entries``) for ``millesime``."""
        return self.dir / "data" / "cache" / store / str(millesime)

    def built_before(self, millesime: int) -> list[tuple[int, Path]]:
        """(millésime, path) of the indicator tables built for earlier millésimes."""
        found = []
        for earlier in self.millesimes():
            path = self.processed_dir(earlier) / "out_indicateurs.parquet"
            if earlier < millesime and path.is_file():
                found.append((earlier, path))
        return found

    def millesimes(self) -> list[int]:
        """Millésimes present: the year folders found under ``data/raw/<source>/``."""
        years: set[int] = set()
        raw = self.dir / "data" / "raw"
        for source in SOURCES:
            folder = raw / source
            if folder.is_dir():
                years.update(int(p.name) for p in folder.iterdir()
                             if p.is_dir() and _MILLESIME.match(p.name))
        return sorted(years)

    def choose_millesime(self, asked: int | None) -> int:
        """The millésime to work on: the one asked for, else the latest present."""
        present = self.millesimes()
        if asked is not None:
            if asked not in present:
                listed = ", ".join(map(str, present)) or "aucun"
                raise ConfigError(
                    f"Le millésime {asked} n'a aucune donnée dans {self.dir / 'data' / 'raw'} "
                    f"(millésimes présents : {listed}).",
                    conseil="Déposez les fichiers dans data/raw/<source>/<millésime>/.")
            return asked
        if not present:
            raise ConfigError(
                f"Aucune donnée trouvée dans {self.dir / 'data' / 'raw'}.",
                conseil="Déposez les fichiers dans data/raw/<source>/<millésime>/, "
                        "ou lancez « iae-etat demo » pour un jeu de démonstration.")
        return present[-1]


def find_project_dir(explicit: Path | None = None, start: Path | None = None) -> Path:
    """The project directory: explicit option, then environment, then walking up."""
    if explicit is not None:
        return _checked_project_dir(explicit, "--project-dir")
    from_env = os.environ.get(ENV_PROJECT_DIR)
    if from_env:
        return _checked_project_dir(Path(from_env), ENV_PROJECT_DIR)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise ConfigError(
        f"Aucun projet trouvé : pas de fichier {CONFIG_NAME} dans {here} ni au-dessus.",
        conseil="Indiquez le projet avec --project-dir, ou créez-en un avec "
                "« iae-etat init DOSSIER --departement CODE ».")


def _checked_project_dir(path: Path, origin: str) -> Path:
    path = path.expanduser().resolve()
    if not (path / CONFIG_NAME).is_file():
        raise ConfigError(f"{path} ({origin}) n'est pas un projet iae-etat : "
                          f"le fichier {CONFIG_NAME} est absent.",
                          conseil="Créez le projet avec "
                                  "« iae-etat init DOSSIER --departement CODE ».")
    return path


def load_projet(project_dir: Path) -> Projet:
    """Read ``iae-etat.toml`` and validate it against its declaration (``declaration.py``)."""
    path = project_dir / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} : le fichier doit être encodé en UTF-8.") from exc
    settings = validate(parse(text, path), text, path)
    projet = settings.projet
    codes: list[str] = []
    for value in projet.departements:
        code = normalise_departement(value)
        if code is None:
            raise ConfigError(f"{path} : [projet] departements contient « {value} », "
                              "qui n'est pas un code de département (01 à 95, 2A, 2B, 971 à 976).")
        codes.append(code)
    codes += [c for c in _region_departements(list(projet.regions), path) if c not in codes]
    secret = settings.secret_statistique
    return Projet(
        dir=project_dir,
        nom=projet.nom,
        departements=tuple(codes),
        donnees_fictives=projet.donnees_fictives,
        secret=SecretConfig(secret.seuil_effectifs, float(secret.seuil_dominance),
                            secret.source, secret.seuil_structures, secret.source_structures,
                            float(secret.protection_effectifs),
                            float(secret.protection_montants), secret.coordination),
        settings=settings,
    )


def _region_departements(regions: list, path: Path) -> list[str]:
    """The départements of the régions listed in the configuration, in referential order."""
    if not regions:
        return []
    from iae_etat.territoires import referentiel

    table = referentiel.departements()
    known = set(table["code_region"])
    wanted = [str(r).strip() for r in regions]
    unknown = [r for r in wanted if r not in known]
    if unknown:
        raise ConfigError(f"{path} : [projet] regions contient « {unknown[0]} », qui n'est pas un "
                          f"code de région du COG (codes connus : {', '.join(sorted(known))}).")
    return table.loc[table["code_region"].isin(wanted), "code_departement"].tolist()
