"""``iae-etat consolidate``: the regional comparison of the départements' annexe 4 tables.

Inputs are project directories (their ``reports/<millésime>/annexe4-*.csv``) or annexe 4 CSV
files sent by the départements. Every input must describe the same millésime with the same
versions of the annexe 4 format and of the indicator contract; otherwise the figures would not
be comparable and the command stops with a usage error (exit 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iae_etat import __version__
from iae_etat.common import resources
from iae_etat.common.errors import GRAVITE_AVERTISSEMENT, Probleme, UsageError
from iae_etat.common.indicators import BY_CODE
from iae_etat.common.vocabulary import ENSEMBLE
from iae_etat.project.config import CONFIG_NAME, load_projet
from iae_etat.report import annexe4
from iae_etat.report.templating import environment, inline_css
from iae_etat.tables.files import printable, write_bytes, write_text
from iae_etat.tables.formats import cellule
from iae_etat.tables.nombres import number_problem

ADDITIVE_UNITS = ("structures", "ETP", "personnes")
SUMMARY_INDICATORS = ("nb_siae", "etp_conventionnes", "etp_realises", "salaries_annee",
                      "taux_reponse", "de_abc", "taux_equipement_etp_de_abc")
TOTAL_CODE = "total"


@dataclass(frozen=True)
class Entree:
    """One annexe 4 table, where it came from, and the values set aside when it was read."""
    origine: str
    table: pd.DataFrame
    problemes: tuple[Probleme, ...] = ()


def collect(inputs: list[Path], millesime: int | None) -> list[Entree]:
    """Read the annexe 4 tables of ``inputs`` (project directories or CSV files)."""
    if not inputs:
        raise UsageError("Indiquez au moins un dossier de projet ou un fichier annexe 4.")
    found: list[Entree] = []
    for path in inputs:
        path = path.expanduser()
        if path.is_dir() and (path / CONFIG_NAME).is_file():
            projet = load_projet(path.resolve())
            chosen = millesime if millesime is not None else _latest_built(projet)
            folder = projet.reports_dir(chosen)
            files = sorted(folder.glob(f"annexe4-*-{chosen}.csv"))
            if not files:
                raise UsageError(
                    f"{path} : aucune annexe 4 pour le millésime {chosen} dans {folder}.",
                    conseil=f"Lancez « iae-etat --project-dir {path} --millesime {chosen} "
                            "build » dans ce projet.")
        elif path.is_file() and path.suffix.lower() == ".csv":
            files = [path]
        else:
            raise UsageError(f"{path} n'est ni un dossier de projet iae-etat (avec "
                             f"{CONFIG_NAME}) ni un fichier annexe 4 (.csv).")
        for file in files:
            table, problems = checked_values(_read(file), printable(str(file)))
            found.append(Entree(str(file), table, tuple(problems)))
    return found


def checked_values(table: pd.DataFrame, fichier: str) -> tuple[pd.DataFrame, list[Probleme]]:
    """A published value that is not finite or beyond the order of magnitude of its unit
    (``nombres.number_problem``) becomes « nd », with a record naming its CSV line."""
    table = table.copy()
    problems = []
    for index, row in table.iterrows():
        if row["statut"] != "publie":
            continue
        found = number_problem(float(row["valeur"]), str(row["unite"]))
        if found is None:
            continue
        line = int(index) + 2  # the header is line 1
        table.at[index, "valeur"] = math.nan
        table.at[index, "statut"] = "nd"
        problems.append(Probleme(
            fichier=fichier, cellule=f"ligne {line}", champ=str(row["indicateur"]),
            valeur=str(row["valeur"]), regle=f"annexe4.{found[0]}", attendu=found[2],
            gravite=GRAVITE_AVERTISSEMENT,
            message=f"Ligne {line} ({row['indicateur']}, {row['type_siae']}, département "
                    f"{row['code_departement']}) : {found[1]} ; la valeur est comptée comme non "
                    "disponible (nd).",
            conseil="Demandez au département de reconstruire son annexe 4 avec iae-etat."))
    return table, problems


def _latest_built(projet) -> int:
    built = sorted(int(p.name) for p in (projet.dir / "reports").glob("[0-9]" * 4)
                   if any(p.glob("annexe4-*.csv")))
    if not built:
        raise UsageError(f"{projet.dir} : aucun millésime construit (pas d'annexe 4).",
                         conseil="Lancez « iae-etat build » dans ce projet.")
    return built[-1]


def _read(file: Path) -> pd.DataFrame:
    try:
        table = annexe4.from_csv(file.read_bytes())
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise UsageError(f"{file} : fichier illisible ({exc}).") from exc
    missing = [c for c in annexe4.COLUMNS if c not in table.columns]
    if missing or table.empty:
        raise UsageError(f"{file} n'est pas une annexe 4 iae-etat : colonnes absentes "
                         f"({', '.join(missing) or 'aucune ligne'}).",
                         conseil="Voir docs/annexe4.md pour les colonnes attendues.")
    return table


def check_comparable(entrees: list[Entree]) -> None:
    """Refuse mixed millésimes, format or contract versions, and a département given twice."""
    for column, label in (("millesime", "millésimes"),
                          ("version_annexe4", "versions du format de l'annexe 4"),
                          ("version_contrat", "versions du contrat des indicateurs")):
        by_value: dict[str, list[str]] = {}
        for entree in entrees:
            for value in sorted(set(entree.table[column])):
                by_value.setdefault(value, []).append(entree.origine)
        if len(by_value) > 1:
            detail = " ; ".join(f"{value} : {', '.join(origins)}"
                                for value, origins in sorted(by_value.items()))
            conseil = ("Choisissez un millésime commun avec --millesime, ou reconstruisez les "
                       "projets avec la même version d'iae-etat.") if column == "millesime" \
                else "Reconstruisez chaque projet avec la même version d'iae-etat."
            raise UsageError(f"Consolidation impossible : {label} différents ({detail}).",
                             conseil=conseil)
    seen: dict[str, str] = {}
    for entree in entrees:
        for code in sorted(set(entree.table["code_departement"])):
            if code in seen:
                raise UsageError(f"Le département {code} figure deux fois ({seen[code]} et "
                                 f"{entree.origine}).")
            seen[code] = entree.origine


def consolidated(entrees: list[Entree]) -> pd.DataFrame:
    """All the rows, départements in code order, the fixed row order kept within each."""
    check_comparable(entrees)
    table = pd.concat([e.table for e in entrees], ignore_index=True)
    order = {(code, kind): i for i, (code, kind) in
             enumerate(dict.fromkeys(zip(table["indicateur"], table["type_siae"],
                                         strict=True)))}
    table["_ordre"] = [order[k] for k in zip(table["indicateur"], table["type_siae"],
                                             strict=True)]
    table = table.sort_values(["code_departement", "_ordre"], kind="stable")
    return table.drop(columns="_ordre").reset_index(drop=True)


def _total(rows: pd.DataFrame, code: str, totals: dict[str, tuple[float, str]]) -> tuple:
    """The regional value of one indicator (``ensemble``) over the départements."""
    unite = BY_CODE[code].unite if code in BY_CODE else rows["unite"].iloc[0]
    statuts = set(rows["statut"])
    if unite in ADDITIVE_UNITS:
        if statuts == {"publie"}:
            return float(rows["valeur"].sum()), "publie"
        return math.nan, "s" if "s" in statuts else "nd"
    if code == "taux_equipement_etp_de_abc":
        etp, de = totals.get("etp_conventionnes"), totals.get("de_abc")
        if etp and de and etp[1] == de[1] == "publie" and de[0] > 0:
            return etp[0] / de[0] * 1000, "publie"
    if code == "taux_reponse":
        siae = totals.get("nb_siae")
        if siae and siae[1] == "publie" and siae[0] > 0 and statuts == {"publie"}:
            weights = rows["_nb_siae"]
            return float((rows["valeur"] * weights).sum() / weights.sum()), "publie"
    return math.nan, "nd"


def comparison(table: pd.DataFrame) -> pd.DataFrame:
    """One row per département and a regional total; ``(valeur, statut)`` per indicator."""
    ensemble = table[table["type_siae"] == ENSEMBLE]
    nb = ensemble[ensemble["indicateur"] == "nb_siae"].set_index("code_departement")["valeur"]
    rows = []
    for (code, nom), group in ensemble.groupby(["code_departement", "departement"], sort=True):
        by = group.set_index("indicateur")
        rows.append({"code": code, "libelle": nom,
                     **{i: (by.at[i, "valeur"], by.at[i, "statut"])
                        for i in SUMMARY_INDICATORS if i in by.index}})
    totals: dict[str, tuple[float, str]] = {}
    for code in SUMMARY_INDICATORS:
        part = ensemble[ensemble["indicateur"] == code]
        if not part.empty:
            part = part.assign(_nb_siae=part["code_departement"].map(nb))
            totals[code] = _total(part, code, totals)
    rows.append({"code": TOTAL_CODE, "libelle": "Ensemble des départements", **totals})
    return pd.DataFrame(rows)


def render_html(table: pd.DataFrame, wide: pd.DataFrame, sources: list[str]) -> str:
    """The short, self-contained HTML comparison."""
    columns = [c for c in SUMMARY_INDICATORS if c in wide.columns]
    lines = []
    for record in wide.to_dict("records"):
        cells = []
        for code in columns:
            value, statut = record.get(code) if isinstance(record.get(code), tuple) \
                else (math.nan, "nd")
            cells.append(cellule(value, statut, BY_CODE[code].unite))
        lines.append({"code": record["code"], "libelle": record["libelle"],
                      "total": record["code"] == TOTAL_CODE, "cellules": cells})
    by_type = table[(table["indicateur"] == "etp_conventionnes")]
    kinds = list(dict.fromkeys(by_type["type_siae"]))
    type_lines = []
    for (code, nom), group in by_type.groupby(["code_departement", "departement"], sort=True):
        by = group.set_index("type_siae")
        type_lines.append({"code": code, "libelle": nom,
                           "cellules": [cellule(by.at[k, "valeur"], by.at[k, "statut"], "ETP")
                                        if k in by.index else "nd" for k in kinds]})
    css = inline_css(resources.locate("templates", "styles.css", None).read_text(encoding="utf-8"))
    template = environment(None).get_template("consolidation.html.j2")
    return template.render(
        version=__version__, css=css, millesime=int(table["millesime"].iloc[0]),
        regions=sorted(set(table["region"])), colonnes=[BY_CODE[c].libelle for c in columns],
        lignes=lines, types=["Ensemble" if k == ENSEMBLE else k for k in kinds],
        lignes_types=type_lines, sources=sources,
        donnees_fictives=bool((table["donnees_fictives"] == "oui").any()),
        version_annexe4=table["version_annexe4"].iloc[0],
        version_contrat=table["version_contrat"].iloc[0])


def run_consolidate(inputs: list[Path], output: Path, millesime: int | None,
                    problemes: list[Probleme] | None = None) -> list[Path]:
    """Write ``consolidation-<millésime>.csv``, ``.xlsx`` and ``.html`` into ``output``; the
    values set aside are added to ``problemes``."""
    entrees = collect(inputs, millesime)
    if problemes is not None:
        problemes.extend(p for e in entrees for p in e.problemes)
    table = consolidated(entrees)
    wide = comparison(table)
    chosen = int(table["millesime"].iloc[0])
    stem = output / f"consolidation-{chosen}"
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".xlsx"), stem.with_suffix(".html")]
    notice = "Contient des données fictives de démonstration." \
        if (table["donnees_fictives"] == "oui").any() else ""
    write_bytes(paths[0], annexe4.to_csv(table))
    write_bytes(paths[1], annexe4.to_xlsx(table, notice))
    write_text(paths[2], render_html(table, wide, [Path(e.origine).name for e in entrees]))
    return paths
