"""ASP extranet exports (FluxIAE) → ETP, salariés by public and sorties per structure (pure).

The rules are those of the DGEFP as applied by the Pilotage de l'inclusion (DESIGN.md §2):

- annexes financières (AF) in a retained state, one row per AF number (the latest modification,
  then the latest end date), overlapping the millésime;
- **ETP conventionnés** = postes d'insertion of the AF × months of the AF within the millésime / 12;
- **ETP réalisés** = hours worked in the millésime / theoretical annual hours of a full-time
  employee, the ASP reference value designated by the AF (``fluxIAE_RefMontantIae``);
- **aide au poste** = annual total amount of the AF × months of the AF within the millésime / 12
  (when the export has the amounts);
- **salariés** = distinct people with hours worked in the millésime;
- **sorties** = exits dated in the millésime after the minimum path of the kind (configured in
  ``pipelines/asp_etats_mensuels.yaml``), classed by the category of their motive.

Individual rows come in with pseudonymised person ids and never leave this module: the result is
one row per (SIRET, type of SIAE).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme
from iae_etat.sources import values
from iae_etat.sources.adapters import FILE_COLUMN, LINE_COLUMN, normalise_header
from iae_etat.sources.labels import normalised

SORTIE_COLUMNS = ["sorties_durables", "sorties_transition", "sorties_positives",
                  "sorties_autres", "sorties_retraits"]
PUBLIC_COLUMNS = ["femmes", "hommes", "age_moins_26", "age_50_plus", "brsa", "rqth", "deld",
                  "detld", "residents_qpv", "residents_frr"]
RESULT_COLUMNS = ["siret", "type_siae", "denomination", "code_commune", "nb_annexes",
                  "etp_conventionnes", "etp_realises", "salaries_annee", *PUBLIC_COLUMNS,
                  "sorties", *SORTIE_COLUMNS, "aide_au_poste"]


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format="%d/%m/%Y", errors="coerce")


def _numbers(frame: pd.DataFrame, column: str, problems: list[Probleme],
             unite: str = "") -> pd.Series:
    """Text column → floats (``values.parse_numbers``): what is not a number, not finite,
    negative or beyond the order of magnitude of ``unite`` is recorded with its file, line and
    column, and dropped (missing: never computed on, never published)."""
    parsed, found = values.parse_numbers(frame[[column, FILE_COLUMN, LINE_COLUMN]], [column],
                                         unite)
    problems.extend(found)
    return parsed[column].astype(float)


def type_from_mesure(mesure: pd.Series) -> pd.Series:
    """``ACI_DC`` → ``ACI``; ``EI_MP`` → ``EI`` (droit commun and milieu pénitentiaire)."""
    return mesure.astype("string").str.upper().str.replace(r"_(DC|MP)$", "", regex=True)


def annexes_of_year(af: pd.DataFrame, millesime: int, etats: list[str]
                    ) -> tuple[pd.DataFrame, list[Probleme]]:
    """Retained AF overlapping ``millesime`` with their ETP conventionnés of the year."""
    problems = []
    data = af.copy()
    data["date_debut"] = _dates(af["date_debut"])
    data["date_fin"] = _dates(af["date_fin"])
    for row in data[data["date_debut"].isna() | data["date_fin"].isna()].itertuples():
        problems.append(Probleme(
            fichier=getattr(row, FILE_COLUMN), cellule=f"ligne {getattr(row, LINE_COLUMN)}",
            champ="date_debut", regle="asp.date_invalide", gravite=GRAVITE_AVERTISSEMENT,
            message=f"Annexe {row.numero_af} : dates d'effet illisibles (JJ/MM/AAAA attendu) ; "
                    "l'annexe est écartée."))
    data = data.dropna(subset=["date_debut", "date_fin"])
    data = data[data["etat"].astype("string").str.upper().isin([e.upper() for e in etats])]
    for column, unite in (("avenant", ""), ("modification", ""), ("etp_postes", "ETP")):
        data[column] = _numbers(data, column, problems, unite)
    data = data.sort_values(["numero_af", "avenant", "modification", "date_fin", "id_af"],
                            kind="stable")
    data = data.drop_duplicates(["numero_af", "avenant"], keep="last")
    start, end = pd.Timestamp(millesime, 1, 1), pd.Timestamp(millesime, 12, 31)
    first = data["date_debut"].clip(lower=start)
    last = data["date_fin"].clip(upper=end)
    months = (last.dt.year - first.dt.year) * 12 + last.dt.month - first.dt.month + 1
    data["mois_annee"] = months.where(last >= first, 0)
    data = data[data["mois_annee"] > 0].copy()
    data["type_siae"] = type_from_mesure(data["mesure"])
    data["etp_conventionnes"] = data["etp_postes"] * data["mois_annee"] / 12
    if "montant_total" in data.columns:  # optional column of the export
        data["aide_au_poste"] = _numbers(data, "montant_total", problems, "€") \
            * data["mois_annee"] / 12
    return data.reset_index(drop=True), problems


EMI_COLUMNS = ["id_af", "mois", "annee", "id_personne", "id_contrat", "heures", "date_fin_reelle",
               "id_motif_sortie", FILE_COLUMN, LINE_COLUMN]
PATH_KEYS = ["siret", "type_siae", "id_personne", "id_contrat"]
MONTHS = range(1, 13)


class _Months:
    """What the monthly rows (``EtatMensuelIndiv``) of the AF of the year leave once
    aggregated, chunk by chunk: hours per AF, people of the year, each contract's hours and
    months worked (a bit per month number, distinct months whatever the year), exits of the
    year. Memory grows with the contracts of the year, not with the extract."""

    def __init__(self, annexes: pd.DataFrame, millesime: int, problems: list[Probleme]) -> None:
        self.annexes = annexes[["id_af", "siret", "type_siae", "id_heures_etp"]]
        self.millesime, self.problems, self.count = millesime, problems, 0
        self.per_af = self.people = self.hours = self.masks = None
        self.exits: list[pd.DataFrame] = []

    def add(self, emi: pd.DataFrame) -> None:
        keys = ["siret", "type_siae"]
        months = emi.copy()
        months["heures"] = _numbers(months, "heures", self.problems).fillna(0.0)
        months["annee"] = _numbers(months, "annee", self.problems)
        months = months.merge(self.annexes, on="id_af", how="inner")
        year = months[(months["annee"] == self.millesime) & (months["heures"] > 0)]
        per_af = year.groupby(["id_af", *keys, "id_heures_etp"], dropna=False)["heures"].sum() \
            .reset_index()
        people = year[[*keys, "id_personne"]].drop_duplicates()
        worked = months[months["heures"] > 0]
        hours = worked.groupby(PATH_KEYS)["heures"].sum()
        number = pd.to_numeric(worked["mois"], errors="coerce")
        bits = (2 ** number.where(number.isin(MONTHS))).fillna(0).astype("int64")
        masks = worked[PATH_KEYS].assign(bit=bits).drop_duplicates().groupby(PATH_KEYS)["bit"] \
            .sum()
        ended = months.dropna(subset=["id_motif_sortie"]).copy()
        ended["fin"] = _dates(ended["date_fin_reelle"])
        ended["annee_sortie"] = ended["fin"].dt.year.fillna(ended["annee"])
        self.exits.append(ended[ended["annee_sortie"] == self.millesime])
        if self.count == 0:
            self.per_af, self.people, self.hours, self.masks = per_af, people, hours, masks
        else:
            self.per_af = pd.concat([self.per_af, per_af], ignore_index=True).groupby(
                ["id_af", *keys, "id_heures_etp"], dropna=False)["heures"].sum().reset_index()
            self.people = pd.concat([self.people, people]).drop_duplicates()
            both = pd.concat([self.hours, hours])
            self.hours = both.groupby(level=list(range(both.index.nlevels))).sum()
            self.masks = _or(pd.concat([self.masks, masks]))
        self.count += 1

    def path(self) -> pd.DataFrame:
        """Hours and distinct months worked per (SIRET, type, person, contract)."""
        months = sum((self.masks // 2 ** m) % 2 for m in MONTHS)
        return pd.DataFrame({"heures": self.hours, "mois": months.reindex(self.hours.index)})

    def ended(self) -> pd.DataFrame:
        return pd.concat(self.exits) if len(self.exits) > 1 else self.exits[0]


def _or(masks: pd.Series) -> pd.Series:
    """Month masks of the same key merged (bitwise or)."""
    levels = list(range(masks.index.nlevels))
    bits = pd.DataFrame({m: (masks // 2 ** m) % 2 for m in MONTHS})
    merged = bits.groupby(level=levels).max()
    return sum(merged[m] * 2 ** m for m in MONTHS)


def _exit_categories(motifs: pd.DataFrame, categories: pd.DataFrame,
                     labels: dict[str, str]) -> pd.Series:
    """Motive id → column of ``SORTIE_COLUMNS``, from the category labels."""
    by_label = {normalise_header(v): k for k, v in labels.items()}
    category = categories.assign(
        colonne=categories["libelle_categorie"].map(lambda v: by_label.get(normalise_header(v))))
    joined = motifs.merge(category[["id_categorie", "colonne"]], on="id_categorie", how="left")
    return joined.set_index("id_motif")["colonne"]


def indicators(structures: pd.DataFrame, af: pd.DataFrame,
               emi: pd.DataFrame | Iterable[pd.DataFrame],
               salaries: pd.DataFrame | None, contrats: pd.DataFrame | None,
               motifs: pd.DataFrame | None, categories: pd.DataFrame | None,
               montants: pd.DataFrame | None, millesime: int, rules: dict,
               durees: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Probleme]]:
    """One row per (SIRET, type of SIAE) with the ASP figures of ``millesime``.

    ``emi`` (the monthly rows) is a frame or frames read one after the other (a national
    extract streamed by ``reading.Stream``): each is aggregated and let go.

    ``rules`` holds ``etats_retenus``, ``parcours_minimum`` (kind → ``mois`` or ``heures``),
    ``categories`` (column → label), ``valeurs_femme``, ``valeurs_vrai``, ``valeurs_rsa`` and
    ``libelles_deld``/``libelles_detld`` (labels of ``durees``, the registration lengths).
    """
    annexes, problems = annexes_of_year(af, millesime, rules["etats_retenus"])
    structure_info = structures.drop_duplicates("id_structure")[
        ["id_structure", "siret", "denomination", "code_commune"]]
    annexes = annexes.merge(structure_info, on="id_structure", how="left")
    for row in annexes[annexes["siret"].isna()].itertuples():
        problems.append(Probleme(
            fichier=getattr(row, FILE_COLUMN), cellule=f"ligne {getattr(row, LINE_COLUMN)}",
            champ="id_structure", valeur=str(row.id_structure), regle="asp.structure_inconnue",
            message=f"Annexe {row.numero_af} : structure {row.id_structure} absente de la vue "
                    "Structure ; l'annexe est écartée."))
    annexes = annexes.dropna(subset=["siret"])
    keys = ["siret", "type_siae"]

    monthly = _Months(annexes, millesime, problems)
    for chunk in ([emi] if isinstance(emi, pd.DataFrame) else emi):
        monthly.add(chunk)
    if not monthly.count:
        monthly.add(pd.DataFrame(columns=EMI_COLUMNS, dtype="string"))
    per_af, people = monthly.per_af, monthly.people.drop_duplicates()

    hours_per_etp = pd.Series(dtype=float)
    if montants is not None:
        hours_per_etp = _numbers(montants, "valeur", problems).set_axis(
            montants["id_montant"])
    per_af["heures_etp"] = per_af["id_heures_etp"].map(hours_per_etp)
    for row in per_af[per_af["heures_etp"].isna() | (per_af["heures_etp"] <= 0)].itertuples():
        problems.append(Probleme(
            fichier="fluxIAE_RefMontantIae", champ="id_heures_etp", valeur=str(row.id_heures_etp),
            regle="asp.heures_etp_inconnues",
            message=f"Annexe {row.id_af} : nombre d'heures annuelles d'un ETP introuvable "
                    f"(référence {row.id_heures_etp}) ; ETP réalisés non calculés."))
    per_af["etp_realises"] = per_af["heures"] / per_af["heures_etp"].where(
        per_af["heures_etp"] > 0)

    out = annexes.groupby(keys).agg(
        denomination=("denomination", "first"), code_commune=("code_commune", "first"),
        nb_annexes=("numero_af", "nunique"), etp_conventionnes=("etp_conventionnes", "sum"))
    if "aide_au_poste" in annexes.columns:  # unknown when one annex has no amount
        amounts = annexes.groupby(keys)["aide_au_poste"]
        out = out.join(amounts.sum().where(amounts.count() == amounts.size()))
    out = out.join(per_af.groupby(keys)["etp_realises"].sum(min_count=1))
    out["etp_realises"] = out["etp_realises"].where(
        ~out.index.isin(per_af.loc[per_af["etp_realises"].isna()].set_index(keys).index))
    out = out.join(people.groupby(keys).size().rename("salaries_annee"))
    out["salaries_annee"] = out["salaries_annee"].fillna(0)
    out = out.join(_publics(people, salaries, contrats, millesime, rules, durees, problems))
    exits, exit_problems = _sorties(monthly.path(), monthly.ended(), motifs, categories, rules)
    problems += exit_problems
    out = out.join(exits)
    for column in ["sorties", *SORTIE_COLUMNS]:
        if column in out.columns and motifs is not None and categories is not None:
            out[column] = out[column].fillna(0)
    out = out.reset_index()
    for column in RESULT_COLUMNS:
        if column not in out.columns:
            out[column] = np.nan
    return out[RESULT_COLUMNS].sort_values(keys, ignore_index=True), problems


def _flag(series: pd.Series, values: list[str]) -> pd.Series:
    wanted = {str(v).strip().lower() for v in values}
    return series.astype("string").str.strip().str.lower().isin(wanted).fillna(False)


def _duration_class(durees: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """Registration-length id → ``deld``/``detld`` flags, from the configured labels."""
    labels = normalised(durees["libelle_duree"].fillna(""))

    def matches(key: str) -> pd.Series:
        wanted = [normalise_header(v) for v in rules.get(key, [])]
        return labels.map(lambda text: any(w and w in text for w in wanted))

    return pd.DataFrame({"duree_inscription": durees["id_duree"],
                         "deld": matches("libelles_deld").astype(float),
                         "detld": matches("libelles_detld").astype(float)})


def _publics(people: pd.DataFrame, salaries: pd.DataFrame | None,
             contrats: pd.DataFrame | None, millesime: int, rules: dict,
             durees: pd.DataFrame | None, problems: list[Probleme]) -> pd.DataFrame:
    """Salariés by public per (SIRET, type): from the Salarie and ContratMission views."""
    keys = ["siret", "type_siae"]
    frame = people.copy()
    columns = []
    if salaries is not None:
        info = salaries.drop_duplicates("id_personne").copy()
        femme = _flag(info["civilite"], rules["valeurs_femme"])
        known = info["civilite"].notna()
        info["femmes"] = femme.where(known).astype(float)
        info["hommes"] = (~femme).where(known).astype(float)
        age = millesime - _numbers(info, "annee_naissance", problems)
        info["age_moins_26"] = (age < 26).where(age.notna()).astype(float)
        info["age_50_plus"] = (age >= 50).where(age.notna()).astype(float)
        info["residents_qpv"] = _flag(info["qpv"], rules["valeurs_vrai"]).astype(float)
        info["residents_frr"] = _flag(info["zrr"], rules["valeurs_vrai"]).astype(float)
        added = ["femmes", "hommes", "age_moins_26", "age_50_plus", "residents_qpv",
                 "residents_frr"]
        frame = frame.merge(info[["id_personne", *added]], on="id_personne", how="left")
        columns += added
    if contrats is not None:
        flags = contrats.assign(
            brsa=_flag(contrats["rsa"], rules["valeurs_rsa"]).astype(float),
            rqth=_flag(contrats["rqth"], rules["valeurs_vrai"]).astype(float))
        flagged = ["brsa", "rqth"]
        if durees is not None and flags["duree_inscription"].notna().any():
            flags = flags.merge(_duration_class(durees, rules), on="duree_inscription",
                                how="left")
            flags[["deld", "detld"]] = flags[["deld", "detld"]].fillna(0.0)
            flagged += ["deld", "detld"]
        flags = flags.groupby("id_personne")[flagged].max().reset_index()
        frame = frame.merge(flags, on="id_personne", how="left")
        columns += flagged
    if not columns:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=keys))
    return frame.groupby(keys)[columns].sum(min_count=1)


def _sorties(path: pd.DataFrame, ended: pd.DataFrame, motifs: pd.DataFrame | None,
             categories: pd.DataFrame | None, rules: dict
             ) -> tuple[pd.DataFrame, list[Probleme]]:
    """Exits of the millésime after the minimum path, per (SIRET, type) and category."""
    keys = ["siret", "type_siae"]
    if motifs is None or categories is None:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=keys)), []
    problems = []
    ended = ended.drop_duplicates([*keys, "id_personne", "id_contrat"], keep="last")
    ended = ended.join(path.add_suffix("_parcours"), on=[*keys, "id_personne", "id_contrat"])
    minimum = rules["parcours_minimum"]
    keep = []
    for kind, hours, count in zip(ended["type_siae"], ended["heures_parcours"].fillna(0),
                                  ended["mois_parcours"].fillna(0), strict=True):
        rule = minimum.get(kind, {})
        keep.append(hours >= rule.get("heures", 0) and count >= rule.get("mois", 0)
                    and hours > 0)
    ended = ended[np.array(keep, dtype=bool)] if len(ended) else ended
    column = _exit_categories(motifs, categories, rules["categories"])
    ended["colonne"] = ended["id_motif_sortie"].map(column)
    for row in ended[ended["colonne"].isna()].drop_duplicates("id_motif_sortie").itertuples():
        problems.append(Probleme(
            fichier=getattr(row, FILE_COLUMN), cellule=f"ligne {getattr(row, LINE_COLUMN)}",
            champ="id_motif_sortie", valeur=str(row.id_motif_sortie),
            regle="asp.motif_sortie_inconnu", gravite=GRAVITE_AVERTISSEMENT,
            message=f"Motif de sortie {row.id_motif_sortie} sans catégorie connue dans les "
                    "référentiels RefMotifSort et RefCategorieSort ; la sortie est comptée "
                    "dans le total seulement."))
    counts = pd.crosstab([ended["siret"], ended["type_siae"]], ended["colonne"]) \
        if ended["colonne"].notna().any() else pd.DataFrame(
            index=pd.MultiIndex.from_tuples([], names=keys))
    counts = counts.reindex(columns=SORTIE_COLUMNS, fill_value=0)
    total = ended.groupby(keys).size().rename("sorties")
    return counts.join(total, how="outer").fillna(0), problems


def bilan_by_structure(bilan: pd.DataFrame, millesime: int
                       ) -> tuple[pd.DataFrame, list[Probleme]]:
    """The ASP annual bilan summed per (SIRET, type) for ``millesime`` (one row per AF in);
    absurd figures recorded with their line and dropped."""
    problems: list[Probleme] = []
    data = bilan[_numbers(bilan, "annee", problems) == millesime].copy()
    data["type_siae"] = data["type_siae"].astype("string").str.upper().str.strip()
    figures = [c for c in data.columns if c not in
               ("annee", "type_siae", "numero_af", "siret", "denomination", LINE_COLUMN,
                FILE_COLUMN)]
    for column in figures:
        data[column] = _numbers(data, column, problems)
    grouped = data.groupby(["siret", "type_siae"])
    out = grouped[figures].sum(min_count=1)
    out["denomination"] = grouped["denomination"].first()
    return out.reset_index(), problems
