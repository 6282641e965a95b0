"""Ingest of the administrative and public sources (issue 4), called by ``iae_etat.sources.stage``.

Territory levels (zones d'emploi, CLPE), the needs per commune and per territory (France Travail,
CAF, Insee, QPV, FRR) and the ASP figures per structure (FluxIAE, annual bilan) with their
reconciliation against the questionnaires.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, ConfigError, Probleme
from iae_etat.project.config import Projet
from iae_etat.sources import adapters, asp, besoins, cog, long_format, reconciliation, values
from iae_etat.sources.reading import read_adapter, read_group, relative, report_missing
from iae_etat.tables.catalogue import Catalogue
from iae_etat.tables.contracts import load_contract
from iae_etat.territoires import referentiel
from iae_etat.territoires.codes import normalise_commune_series, normalise_epci_series

EFFECTS = {
    "insee": "pas de zones d'emploi, de taux de chômage ni de population par âge",
    "clpe": "pas de niveau CLPE (comités locaux pour l'emploi)",
    "caf": "pas de foyers allocataires du RSA",
    "qpv": "pas de population des quartiers prioritaires",
    "frr": "pas de communes France Ruralités Revitalisation",
    "france_travail": "pas de demandeurs d'emploi : pas de besoins ni de taux d'équipement",
    "asp": "pas de chiffres de l'ASP : ETP, publics et sorties viennent des seuls questionnaires",
}
ASP_VIEWS = ["asp_structures", "asp_annexes_financieres", "asp_etats_mensuels", "asp_salaries",
             "asp_contrats", "asp_durees_inscription", "asp_motifs_sortie",
             "asp_categories_sortie", "asp_montants", "asp_bilan"]
VALEURS_ANNUELLES = ("moyenne", "T4")
# The adapters of a needs source; of those giving communes, the first one's figure wins.
FT_COMMUNES = ["france_travail_dares", "france_travail"]
FT_ADAPTERS = [*FT_COMMUNES, "france_travail_departements"]
CAF_ADAPTERS = ["caf_rsa_communes", "caf_prestations_communes", "caf", "caf_epci"]
LINE = adapters.LINE_COLUMN


def _method(adapter: adapters.Adapter) -> str:
    method = adapter.options.get("valeur_annuelle", "moyenne")
    if method not in VALEURS_ANNUELLES:
        raise ConfigError(f"pipelines/{adapter.name}.yaml : valeur_annuelle « {method} » "
                          f"inconnue (attendu : {', '.join(VALEURS_ANNUELLES)}).")
    return method


@cache
def _cog() -> dict[str, str]:
    """Known commune codes → current code (shared, never modified)."""
    return cog.code_map(referentiel.communes(), referentiel.communes_anciennes())


def territoires_with_levels(projet: Projet, millesime: int, result,
                            territoires: pd.DataFrame) -> pd.DataFrame:
    """The project's communes with their zone d'emploi and CLPE when those tables are given."""
    mapping = _cog()
    levels = {}
    for source, name, columns in (("insee", "insee_zones_emploi", referentiel.ZONE_EMPLOI_COLUMNS),
                                  ("clpe", "clpe", referentiel.CLPE_COLUMNS)):
        frame, adapter, found = read_adapter(projet, millesime, result, name)
        if not found and source == "clpe":
            report_missing(result, projet, source, millesime, EFFECTS[source])
        if frame is None:
            continue
        frame, problems = cog.recode(frame.dropna(subset=["code_commune"]), mapping,
                                     projet.departements, adapter.titre)
        result.problemes.extend(problems)
        frame = frame.sort_values(["code_commune", LINE]).drop_duplicates("code_commune")
        table = frame[columns]
        missing = sorted(set(territoires["code_commune"]) - set(table["code_commune"]))
        for code in missing:
            result.problemes.append(Probleme(
                fichier=", ".join(sorted(frame[adapters.FILE_COLUMN].unique())),
                champ="code_commune", valeur=code, regle=f"{name}.commune_absente",
                gravite=GRAVITE_AVERTISSEMENT,
                message=f"{adapter.titre} : la commune {code} du projet n'a pas de "
                        f"territoire ; elle n'est comptée dans aucun territoire de ce niveau."))
        levels[name] = table
    out = referentiel.with_levels(territoires, levels.get("insee_zones_emploi"),
                                  levels.get("clpe"))
    for column in [*referentiel.ZONE_EMPLOI_COLUMNS, *referentiel.CLPE_COLUMNS]:
        if column not in out.columns:
            out[column] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def structures_emplois(projet: Projet, millesime: int, result) -> pd.DataFrame | None:
    """SIAE of the emplois de l'inclusion API files (non-SIAE kinds left out)."""
    frame, _, _ = read_adapter(projet, millesime, result, "structures_emplois")
    if frame is None:
        return None
    frame["type_siae"] = frame["type_siae"].str.upper()
    return frame[frame["type_siae"].isin(["ACI", "AI", "EI", "ETTI", "EITI"])
                 & frame["siret"].notna()].reset_index(drop=True)


def _annual(result, projet: Projet, name: str, frame: pd.DataFrame, millesime: int, key: str,
            numbers: bool = True) -> pd.DataFrame:
    """The annual DE of ``frame`` per ``key`` (the adapter's « valeur_annuelle »), as ``code``
    when the key is a territory above the commune."""
    frame = frame.reindex(columns=[*frame.columns, *[c for c in besoins.DE_COLUMNS
                                                      if c not in frame.columns]])
    if numbers:
        frame = _numbers(result, frame.dropna(subset=[key, "periode"]), besoins.DE_COLUMNS,
                         "personnes", "raw_france_travail")
    method = _method(adapters.load_adapter(name, projet.dir))
    annual = besoins.annual_mean(frame, key, besoins.DE_COLUMNS, millesime, method)
    return annual if key == "code_commune" else annual.rename(columns={key: "code"})


def _numbers(result, frame: pd.DataFrame, columns: list[str], unite: str = "",
             table: str | None = None) -> pd.DataFrame:
    """``columns`` as numbers of ``unite``, absurd ones recorded and dropped (the column labels
    of the messages are the titles of contract ``table`` when given)."""
    titles = {f.name: f.title for f in load_contract(table).fields} if table else None
    frame, problems = values.parse_numbers(frame, columns, unite, titles)
    result.problemes.extend(problems)
    return frame


def ingest_besoins(projet: Projet, millesime: int, catalogue: Catalogue, result,
                   territoires: pd.DataFrame) -> None:
    """Write ``core_besoins`` (every commune) and ``core_besoins_territoires`` (every level)."""
    mapping = _cog()
    deps = projet.departements
    parts: list[pd.DataFrame] = []
    listed: list[str] = []  # columns of a list source: a commune not listed has zero
    overrides: dict[str, pd.DataFrame] = {}

    ft = read_group(projet, millesime, result, "france_travail", FT_ADAPTERS,
                    EFFECTS["france_travail"])
    annuals, totals, quarters = [], [], []
    for name in FT_COMMUNES:
        if ft[name] is None:
            continue
        frame = ft[name]
        if long_format.TOTAL_COLUMN in frame.columns:  # the file's own département totals
            own = frame[frame[long_format.TOTAL_COLUMN].notna()]
            totals.append(_annual(result, projet, name, own, millesime,
                                  long_format.TOTAL_COLUMN))
            frame = frame[frame[long_format.TOTAL_COLUMN].isna()].drop(
                columns=long_format.TOTAL_COLUMN)
        frame = frame.reindex(columns=[*frame.columns, *[c for c in besoins.DE_COLUMNS
                                                         if c not in frame.columns]])
        trimestres = _numbers(result, frame.dropna(subset=["code_commune", "periode"]),
                              besoins.DE_COLUMNS, "personnes", "raw_france_travail")
        quarters.append(trimestres)
        annual = _annual(result, projet, name, trimestres, millesime, "code_commune",
                         numbers=False)
        annual[adapters.FILE_COLUMN] = ", ".join(sorted(trimestres[adapters.FILE_COLUMN]
                                                        .unique()))
        annual, problems = cog.harmonise_sum(annual, mapping, deps, "France Travail",
                                             besoins.DE_COLUMNS)
        result.problemes.extend(problems)
        annuals.append(annual)
    if quarters:
        catalogue.write("raw_france_travail", pd.concat(quarters, ignore_index=True)
                        .drop_duplicates(["code_commune", "periode"]))
    if annuals:  # a commune given by two layouts: the first adapter's figures
        parts.append(pd.concat(annuals, ignore_index=True).drop_duplicates("code_commune"))
    if ft["france_travail_departements"] is not None:
        totals.insert(0, _annual(result, projet, "france_travail_departements",
                                 ft["france_travail_departements"], millesime,
                                 "code_departement"))
    if totals:
        own = pd.concat(totals, ignore_index=True).drop_duplicates("code")
        overrides["departement"] = own
        if annuals:
            result.problemes.extend(besoins.total_gaps(
                parts[-1], territoires, own, "de_abc", "France Travail"))

    caf = read_group(projet, millesime, result, "caf", CAF_ADAPTERS, EFFECTS["caf"])
    communal = [caf[n] for n in CAF_ADAPTERS[:-1] if caf[n] is not None]
    if communal:
        data = pd.concat(communal, ignore_index=True).dropna(subset=["code_commune"])
        # a commune in two layouts: the figure of the first adapter (today's export first)
        data = data.drop_duplicates("code_commune")
        data = _numbers(result, data, ["foyers_rsa"], "foyers")
        summed, problems = cog.harmonise_sum(data, mapping, deps, "CAF", ["foyers_rsa"])
        result.problemes.extend(problems)
        parts.append(summed)
    if caf["caf_epci"] is not None:
        data = caf["caf_epci"].copy()
        data["code"] = normalise_epci_series(data["code_epci"])
        data = _numbers(result, data.dropna(subset=["code"]), ["foyers_rsa"], "foyers")
        overrides["epci"] = data.groupby("code")[["foyers_rsa"]].sum(min_count=1).reset_index()

    insee = read_group(projet, millesime, result, "insee",
                       ["insee_population", "insee_chomage"], EFFECTS["insee"],
                       other_files=bool(territoires["code_zone_emploi"].notna().any()))
    if insee["insee_population"] is not None:
        columns = ["population", "pop_15_24", "pop_25_54", "pop_55_64"]
        pop = _numbers(result, insee["insee_population"].dropna(subset=["code_commune"]),
                       columns, "habitants")
        pop, problems = cog.harmonise_sum(pop, mapping, deps, "Insee (population)", columns)
        result.problemes.extend(problems)
        pop["population_15_64"] = pop[["pop_15_24", "pop_25_54", "pop_55_64"]].sum(
            axis=1, min_count=3)
        parts.append(pop[["code_commune", "population", "population_15_64"]])
    if insee["insee_chomage"] is not None:
        quarters = ["taux_t1", "taux_t2", "taux_t3", "taux_t4"]
        taux = _numbers(result, insee["insee_chomage"].dropna(subset=["code_zone_emploi"]),
                        quarters, "%")
        rates = besoins.chomage_annuel(taux, _method(adapters.load_adapter(
            "insee_chomage", projet.dir)))
        parts.append(territoires[["code_commune", "code_zone_emploi"]].merge(
            rates, on="code_zone_emploi", how="left")[["code_commune", "taux_chomage_ze"]])

    qpv = read_group(projet, millesime, result, "qpv", ["qpv", "qpv_population"], EFFECTS["qpv"])
    if qpv["qpv"] is not None:
        links = besoins.qpv_communes(qpv["qpv"])
        links[adapters.FILE_COLUMN] = "liste des QPV"
        links["code_commune"] = normalise_commune_series(links["code_commune"])
        links, problems = cog.recode(links.dropna(subset=["code_commune"]), mapping, deps,
                                     "Liste des QPV")
        result.problemes.extend(problems)
        parts.append(links.groupby("code_commune")["code_qp"].nunique().rename("nb_qpv")
                     .astype(float).reset_index())
        listed.append("nb_qpv")
    if qpv["qpv_population"] is not None:
        pop = _numbers(result, qpv["qpv_population"].dropna(subset=["code_commune"]),
                       ["population"], "habitants")
        pop, problems = cog.harmonise_sum(pop, mapping, deps, "Population des QPV",
                                          ["population"])
        result.problemes.extend(problems)
        parts.append(pop.rename(columns={"population": "population_qpv"}))
        listed.append("population_qpv")

    frr_frames = read_group(projet, millesime, result, "frr", ["frr"], EFFECTS["frr"])
    if frr_frames["frr"] is not None:
        adapter = adapters.load_adapter("frr", projet.dir)
        data, problems = cog.recode(frr_frames["frr"].dropna(subset=["code_commune"]), mapping,
                                    deps, adapter.titre)
        result.problemes.extend(problems)
        parts.append(besoins.frr_flags(data, adapter.options.get(
            "classes_retenues", ["FRR+", "FRR socle"])))
        listed.append("communes_frr")

    communes = besoins.besoins_communes(territoires, parts, listed)
    catalogue.write("core_besoins", communes)
    catalogue.write("core_besoins_territoires",
                    besoins.besoins_niveaux(territoires, communes, overrides))


def _rules(projet: Projet) -> dict:
    load = lambda name: adapters.load_adapter(name, projet.dir).options  # noqa: E731
    return {"etats_retenus": load("asp_annexes_financieres").get(
                "etats_retenus", ["VALIDE", "PROVISOIRE", "CLOTURE"]),
            "parcours_minimum": load("asp_etats_mensuels").get("parcours_minimum", {}),
            "categories": load("asp_categories_sortie").get("categories", {}),
            "valeurs_femme": load("asp_salaries").get("valeurs_femme", ["MME"]),
            "valeurs_vrai": load("asp_salaries").get("valeurs_vrai", ["true"]),
            "valeurs_rsa": load("asp_contrats").get("valeurs_rsa", ["OUI-M", "OUI-NM"]),
            "libelles_deld": load("asp_durees_inscription").get("libelles_deld", []),
            "libelles_detld": load("asp_durees_inscription").get("libelles_detld", [])}


def ingest_asp(projet: Projet, millesime: int, catalogue: Catalogue, result,
               territoires: pd.DataFrame, reponses: pd.DataFrame | None) -> None:
    """Write ``core_asp`` (FluxIAE) and ``core_asp_bilan``; reconcile with the questionnaires
    (with FluxIAE when present, the more detailed source, else with the bilan)."""
    frames = read_group(projet, millesime, result, "asp", ASP_VIEWS, EFFECTS["asp"],
                        streamed=("asp_etats_mensuels",))
    scope = set(territoires["code_commune"])
    needed = ("asp_structures", "asp_annexes_financieres", "asp_etats_mensuels")
    monthly = frames["asp_etats_mensuels"]  # read chunk by chunk (national extracts)
    if all(frames[n] is not None for n in needed):
        figures, problems = asp.indicators(
            frames["asp_structures"], frames["asp_annexes_financieres"], monthly,
            frames["asp_salaries"], frames["asp_contrats"],
            frames["asp_motifs_sortie"], frames["asp_categories_sortie"],
            frames["asp_montants"], millesime, _rules(projet), frames["asp_durees_inscription"])
    elif monthly is not None:
        monthly.drain()  # its problems still recorded
    if monthly is not None:
        monthly.settle(result.problemes)
        if monthly.failed or not monthly.rows:  # as if there were no monthly view
            frames["asp_etats_mensuels"] = None
    if all(frames[n] is not None for n in needed):
        result.problemes.extend(problems)
        mapping = _cog()  # a structure of a merged commune belongs to the new one
        figures["code_commune"] = figures["code_commune"].map(lambda c: mapping.get(c, c))
        figures = figures[figures["code_commune"].isin(scope)
                          & figures["type_siae"].isin(["ACI", "AI", "EI", "ETTI", "EITI"])]
        catalogue.write("core_asp", figures)
        if reponses is not None:
            result.problemes.extend(reconciliation.reconcile(
                figures, reponses, "l'ASP (FluxIAE)"))
    elif any(frames[n] is not None for n in needed):
        absent = [n for n in needed if frames[n] is None]
        result.problemes.append(Probleme(
            fichier=relative(projet, projet.raw_dir("asp", millesime)),
            regle="asp.vues_incompletes", gravite=GRAVITE_AVERTISSEMENT,
            message="Export FluxIAE incomplet : il manque "
                    + ", ".join(adapters.load_adapter(n, projet.dir).titre for n in absent)
                    + " ; les ETP, publics et sorties de l'ASP ne sont pas calculés."))
    if frames["asp_bilan"] is not None:
        figures = [c for c in frames["asp_bilan"].columns
                   if c not in ("annee", "type_siae", "numero_af", "siret", "denomination",
                                adapters.LINE_COLUMN, adapters.FILE_COLUMN)]
        bilan, problems = asp.bilan_by_structure(frames["asp_bilan"].dropna(subset=["siret"]),
                                                 millesime)
        result.problemes.extend(problems)
        bilan = bilan[bilan["type_siae"].isin(["ACI", "AI", "EI", "ETTI", "EITI"])]
        # the bilan has no commune: the project's structures are those of core_structures
        bilan = bilan[bilan["siret"].isin(set(catalogue.read("core_structures")["siret"]))]
        catalogue.write("core_asp_bilan", bilan[["siret", "type_siae", "denomination",
                                                 *figures]])
        if reponses is not None and not catalogue.exists("core_asp"):
            result.problemes.extend(reconciliation.reconcile(
                bilan, reponses, "le bilan annuel de l'ASP"))
