"""Ingest of the needs (issue 12): a loop over the needs sources declared in ``NEEDS_SOURCES``.

Each source names its folder of ``data/raw/``, its adapters (``pipelines/<name>.yaml``: the
layouts of its files, the first one's figure winning for a commune given twice), the columns of
``core_besoins`` it feeds, what is lost without it, and its harmoniser: the function that turns
the frames its adapters read into contributions (commune columns, columns of a list where a
commune not listed has zero, a territory level's own figures). Adding a need is an adapter, a
column of ``schemas/core_besoins.yaml`` and, when no harmoniser fits, one function here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from iae_etat.common.errors import ConfigError
from iae_etat.project.config import Projet
from iae_etat.sources import adapters, besoins, cog, long_format, values
from iae_etat.sources.ingestion import harmonised_codes
from iae_etat.sources.reading import read_group
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.contracts import load_contract
from iae_etat.territoires.codes import normalise_commune_series, normalise_epci_series


@dataclass
class Needs:
    """What the needs sources contributed so far, and where the figures are checked."""

    projet: Projet
    millesime: int
    result: object
    territoires: pd.DataFrame
    parts: list[pd.DataFrame] = field(default_factory=list)  # commune columns
    listed: list[str] = field(default_factory=list)  # a commune not listed has zero
    overrides: dict[str, pd.DataFrame] = field(default_factory=dict)  # a level's own figures
    raw: dict[str, pd.DataFrame] = field(default_factory=dict)  # raw tables kept as read

    def harmonise(self, frame: pd.DataFrame, titre: str, columns: list[str]) -> pd.DataFrame:
        """Codes of merged communes summed into the current commune, problems recorded."""
        summed, problems = cog.harmonise_sum(frame, harmonised_codes(),
                                             self.projet.departements, titre, columns)
        self.result.problemes.extend(problems)
        return summed

    def recode(self, frame: pd.DataFrame, titre: str) -> pd.DataFrame:
        """Codes of merged communes replaced by the current commune, problems recorded."""
        recoded, problems = cog.recode(frame, harmonised_codes(), self.projet.departements,
                                       titre)
        self.result.problemes.extend(problems)
        return recoded


Frames = dict[str, pd.DataFrame | None]
VALEURS_ANNUELLES = ("moyenne", "T4")


@dataclass(frozen=True)
class NeedsSource:
    source: str  # the folder of data/raw/<source>/<millésime>/
    adapters: tuple[str, ...]
    feeds: tuple[str, ...]  # columns of core_besoins (or of a level's own figures)
    effect: str  # what the report lacks without the source (French)
    harmoniser: Callable[[Needs, Frames], None]
    # the source is not reported missing when the territories already hold what it also gives
    given_elsewhere: Callable[[pd.DataFrame], bool] | None = None


def valeur_annuelle(adapter: adapters.Adapter) -> str:
    """How the adapter's quarterly figures make a year (``valeur_annuelle``)."""
    method = adapter.options.get("valeur_annuelle", "moyenne")
    if method not in VALEURS_ANNUELLES:
        raise ConfigError(f"pipelines/{adapter.name}.yaml : valeur_annuelle « {method} » "
                          f"inconnue (attendu : {', '.join(VALEURS_ANNUELLES)}).")
    return method


def annual_de(result, projet: Projet, name: str, frame: pd.DataFrame, millesime: int, key: str,
              parse: bool = True) -> pd.DataFrame:
    """The annual DE of ``frame`` per ``key`` (the adapter's « valeur_annuelle »), as ``code``
    when the key is a territory above the commune."""
    frame = frame.reindex(columns=[*frame.columns, *[c for c in besoins.DE_COLUMNS
                                                      if c not in frame.columns]])
    if parse:
        frame = numbers(result, frame.dropna(subset=[key, "periode"]), besoins.DE_COLUMNS,
                         "personnes", "raw_france_travail")
    method = valeur_annuelle(adapters.load_adapter(name, projet.dir))
    annual = besoins.annual_mean(frame, key, besoins.DE_COLUMNS, millesime, method)
    return annual if key == "code_commune" else annual.rename(columns={key: "code"})


def numbers(result, frame: pd.DataFrame, columns: list[str], unite: str = "",
             table: str | None = None) -> pd.DataFrame:
    """``columns`` as numbers of ``unite``, absurd ones recorded and dropped (the column labels
    of the messages are the titles of contract ``table`` when given)."""
    titles = {f.name: f.title for f in load_contract(table).fields} if table else None
    frame, problems = values.parse_numbers(frame, columns, unite, titles)
    result.problemes.extend(problems)
    return frame


FT_COMMUNES = ("france_travail_dares", "france_travail")


def _france_travail(needs: Needs, frames: Frames) -> None:
    """DE per commune (quarters → year), the file's or the département file's own totals."""
    projet, millesime, result = needs.projet, needs.millesime, needs.result
    annuals, totals, quarters = [], [], []
    for name in FT_COMMUNES:
        frame = frames[name]
        if frame is None:
            continue
        if long_format.TOTAL_COLUMN in frame.columns:  # the file's own département totals
            own = frame[frame[long_format.TOTAL_COLUMN].notna()]
            totals.append(annual_de(result, projet, name, own, millesime,
                                    long_format.TOTAL_COLUMN))
            frame = frame[frame[long_format.TOTAL_COLUMN].isna()].drop(
                columns=long_format.TOTAL_COLUMN)
        frame = frame.reindex(columns=[*frame.columns, *[c for c in besoins.DE_COLUMNS
                                                         if c not in frame.columns]])
        trimestres = numbers(result, frame.dropna(subset=["code_commune", "periode"]),
                             besoins.DE_COLUMNS, "personnes", "raw_france_travail")
        quarters.append(trimestres)
        annual = annual_de(result, projet, name, trimestres, millesime, "code_commune",
                           parse=False)
        annual[adapters.FILE_COLUMN] = ", ".join(sorted(trimestres[adapters.FILE_COLUMN]
                                                        .unique()))
        annuals.append(needs.harmonise(annual, "France Travail", besoins.DE_COLUMNS))
    if quarters:
        needs.raw["raw_france_travail"] = (pd.concat(quarters, ignore_index=True)
                                           .drop_duplicates(["code_commune", "periode"]))
    if annuals:  # a commune given by two layouts: the first adapter's figures
        needs.parts.append(pd.concat(annuals, ignore_index=True)
                           .drop_duplicates("code_commune"))
    if frames["france_travail_departements"] is not None:
        totals.insert(0, annual_de(result, projet, "france_travail_departements",
                                   frames["france_travail_departements"], millesime,
                                   "code_departement"))
    if totals:
        own = pd.concat(totals, ignore_index=True).drop_duplicates("code")
        needs.overrides["departement"] = own
        if annuals:
            result.problemes.extend(besoins.total_gaps(
                needs.parts[-1], needs.territoires, own, "de_abc", "France Travail"))


def _caf(needs: Needs, frames: Frames) -> None:
    """Foyers RSA per commune (the first layout's figure), the EPCI file's own figures."""
    communal = [frames[n] for n in CAF.adapters[:-1] if frames[n] is not None]
    if communal:
        data = pd.concat(communal, ignore_index=True).dropna(subset=["code_commune"])
        # a commune in two layouts: the figure of the first adapter (today's export first)
        data = data.drop_duplicates("code_commune")
        data = numbers(needs.result, data, ["foyers_rsa"], "foyers")
        needs.parts.append(needs.harmonise(data, "CAF", ["foyers_rsa"]))
    if frames["caf_epci"] is not None:
        data = frames["caf_epci"].copy()
        data["code"] = normalise_epci_series(data["code_epci"])
        data = numbers(needs.result, data.dropna(subset=["code"]), ["foyers_rsa"], "foyers")
        needs.overrides["epci"] = (data.groupby("code")[["foyers_rsa"]].sum(min_count=1)
                                   .reset_index())


def _insee(needs: Needs, frames: Frames) -> None:
    """Population 15–64 per commune; unemployment rate of the commune's zone d'emploi."""
    if frames["insee_population"] is not None:
        columns = ["population", "pop_15_24", "pop_25_54", "pop_55_64"]
        pop = numbers(needs.result, frames["insee_population"].dropna(subset=["code_commune"]),
                      columns, "habitants")
        pop = needs.harmonise(pop, "Insee (population)", columns)
        pop["population_15_64"] = pop[["pop_15_24", "pop_25_54", "pop_55_64"]].sum(
            axis=1, min_count=3)
        needs.parts.append(pop[["code_commune", "population", "population_15_64"]])
    if frames["insee_chomage"] is not None:
        quarters = ["taux_t1", "taux_t2", "taux_t3", "taux_t4"]
        taux = numbers(needs.result, frames["insee_chomage"].dropna(subset=["code_zone_emploi"]),
                       quarters, "%")
        rates = besoins.chomage_annuel(taux, valeur_annuelle(adapters.load_adapter(
            "insee_chomage", needs.projet.dir)))
        needs.parts.append(needs.territoires[["code_commune", "code_zone_emploi"]].merge(
            rates, on="code_zone_emploi", how="left")[["code_commune", "taux_chomage_ze"]])


def _qpv(needs: Needs, frames: Frames) -> None:
    """Number of QPV and their population per commune (a commune not listed has none)."""
    if frames["qpv"] is not None:
        links = besoins.qpv_communes(frames["qpv"])
        links[adapters.FILE_COLUMN] = "liste des QPV"
        links["code_commune"] = normalise_commune_series(links["code_commune"])
        links = needs.recode(links.dropna(subset=["code_commune"]), "Liste des QPV")
        needs.parts.append(links.groupby("code_commune")["code_qp"].nunique().rename("nb_qpv")
                           .astype(float).reset_index())
        needs.listed.append("nb_qpv")
    if frames["qpv_population"] is not None:
        pop = numbers(needs.result, frames["qpv_population"].dropna(subset=["code_commune"]),
                      ["population"], "habitants")
        pop = needs.harmonise(pop, "Population des QPV", ["population"])
        needs.parts.append(pop.rename(columns={"population": "population_qpv"}))
        needs.listed.append("population_qpv")


def _frr(needs: Needs, frames: Frames) -> None:
    """Communes classed France Ruralités Revitalisation (the adapter's classes_retenues)."""
    if frames["frr"] is not None:
        adapter = adapters.load_adapter("frr", needs.projet.dir)
        data = needs.recode(frames["frr"].dropna(subset=["code_commune"]), adapter.titre)
        needs.parts.append(besoins.frr_flags(data, adapter.options.get(
            "classes_retenues", ["FRR+", "FRR socle"])))
        needs.listed.append("communes_frr")


FRANCE_TRAVAIL = NeedsSource(
    "france_travail", (*FT_COMMUNES, "france_travail_departements"),
    tuple(besoins.DE_COLUMNS),
    "pas de demandeurs d'emploi : pas de besoins ni de taux d'équipement", _france_travail)
CAF = NeedsSource(
    "caf", ("caf_rsa_communes", "caf_prestations_communes", "caf", "caf_epci"), ("foyers_rsa",),
    "pas de foyers allocataires du RSA", _caf)
INSEE = NeedsSource(
    "insee", ("insee_population", "insee_chomage"),
    ("population", "population_15_64", "taux_chomage_ze"),
    "pas de zones d'emploi, de taux de chômage ni de population par âge", _insee,
    given_elsewhere=lambda territoires: bool(territoires["code_zone_emploi"].notna().any()))
QPV = NeedsSource(
    "qpv", ("qpv", "qpv_population"), ("nb_qpv", "population_qpv"),
    "pas de population des quartiers prioritaires", _qpv)
FRR = NeedsSource(
    "frr", ("frr",), ("communes_frr", "classement_frr"),
    "pas de communes France Ruralités Revitalisation", _frr)
NEEDS_SOURCES = (FRANCE_TRAVAIL, CAF, INSEE, QPV, FRR)


def ingest_besoins(projet: Projet, millesime: int, catalogue: Catalogue, result,
                   territoires: pd.DataFrame) -> None:
    """Write ``core_besoins`` (every commune) and ``core_besoins_territoires`` (every level)
    from every needs source of ``NEEDS_SOURCES``, in their order."""
    needs = Needs(projet, millesime, result, territoires)
    for source in NEEDS_SOURCES:
        frames = read_group(projet, millesime, result, source.source, list(source.adapters),
                            source.effect, other_files=bool(
                                source.given_elsewhere and source.given_elsewhere(territoires)))
        source.harmoniser(needs, frames)
    for name, table in needs.raw.items():
        catalogue.write(name, table)
    communes = besoins.besoins_communes(territoires, needs.parts, needs.listed)
    catalogue.write("core_besoins", communes)
    catalogue.write("core_besoins_territoires",
                    besoins.besoins_niveaux(territoires, communes, needs.overrides))
