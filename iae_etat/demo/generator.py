"""Seeded generator of a fictional project on a real geography.

Everything it writes is invented (structures, names, SIRET, answers, counts) but laid out like
the real files (DESIGN.md §4), so the whole pipeline runs on it. The same seed and scope give the
same bytes. The benchmark reuses it at national scale.
"""

from __future__ import annotations

import csv
import io
import random
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from iae_etat.common.vocabulary import QUESTIONNAIRES_RESIDENCE
from iae_etat.demo.sources import AIDE_AU_POSTE, FT_BREAK_FACTOR, write_sources
from iae_etat.questionnaire.prefill import WorkbookTemplate
from iae_etat.questionnaire.workbook import build_workbook
from iae_etat.sources.structures import normalise_name
from iae_etat.tables.contracts import load_contract
from iae_etat.tables.files import write_bytes, write_text
from iae_etat.tables.xlsx import zip_parts
from iae_etat.territoires import referentiel

TYPES = ("ACI", "AI", "EI", "ETTI", "EITI")
TYPE_WEIGHTS = (0.48, 0.2, 0.17, 0.1, 0.05)
ETP_RANGE = {"ACI": (8, 40), "AI": (5, 30), "EI": (5, 25), "ETTI": (8, 35), "EITI": (2, 10)}
PEOPLE_PER_ETP = {"ACI": 1.8, "AI": 4.0, "EI": 1.6, "ETTI": 3.2, "EITI": 1.3}
NAF = {"ACI": "8899B", "AI": "7830Z", "EI": "3832Z", "ETTI": "7820Z", "EITI": "8299Z"}
JURIDIQUE = {"ACI": "Association déclarée ", "AI": "Association déclarée ",
             "EI": "SARL unipersonnelle ", "ETTI": "SAS, société par actions simplifiée",
             "EITI": "Société coopérative d'intérêt collectif (SCIC)"}
NAME_STEMS = {
    "ACI": ["Les Jardins de", "Chantier Nature de", "Atelier Bois de", "Recyclerie de",
            "Les Potagers de", "Chantier Patrimoine de"],
    "AI": ["Coup de Main", "Relais Emploi de", "Services Solidaires de", "Entraide Travail de"],
    "EI": ["Tri Valley", "Bâti Solidaire de", "Propreté Inclusive de", "Cuisine Partagée de"],
    "ETTI": ["Intérim Tremplin de", "Passerelle Intérim de", "Ensemble Intérim de"],
    "EITI": ["Indépendants Solidaires de", "Coop Activités de"],
}
SECTEURS = ("Agriculture et maraîchage", "Espaces verts et environnement",
            "Bâtiment et travaux publics", "Recyclage et réemploi", "Services à la personne",
            "Nettoyage et propreté", "Restauration", "Logistique et transport")
# Fictional bonnes pratiques, one per SIAE chosen by its SIRET (no draw: the other answers stay).
PRATIQUES = ("Pratique fictive : petit-déjeuner mensuel avec les employeurs du territoire.",
             "Pratique fictive : formation qualifiante au permis de conduire pendant le parcours.",
             "Pratique fictive : atelier mobilité et prêt de vélos électriques.",
             "Pratique fictive : entretien de suivi mensuel avec un référent unique.",
             "Pratique fictive : mutualisation d'un encadrant avec une structure voisine.",
             "Pratique fictive : journée portes ouvertes pour les familles des salariés.")
STREETS = ("Rue des Tilleuls", "Avenue de la Gare", "Chemin des Vignes", "Rue du Moulin",
           "Zone artisanale des Auréats", "Place de la Fontaine", "Rue des Ateliers")
ASP_COLUMNS = ("MESURE", "CODE_DEPARTEMENT", "LIBELLE_DPT", "CODE_POSTAL", "COMMUNE",
               "CODE_NAF2", "NATURE_JURIDIQUE", "SIRET", "DENOMINATION_SOCIALE", "NUM_RUE",
               "NOM_RUE", "CODE_POST_COM", "LIB_COM")
# The DARES communal export (dares_defm_communales-brutes, with labels).
FT_HEADERS = ("Date", "Code région", "Région", "Code département", "Département",
              "Code commune", "Commune", "Type de données", "Catégorie", "Sexe",
              "Tranche d'âge", "Nombre de demandeurs d'emploi")
FT_AGES = ("Moins de 25 ans", "De 25 à 49 ans", "50 ans et plus")
FT_YEARS = 2  # years in the demo's file: the real one holds ten, the demo stays small
RESPONSE_RATE = 0.85
DEMO_CONFIG = """# Projet de démonstration : géographie réelle, données entièrement fictives.
[projet]
nom = "{nom}"
departements = [{departements}]
donnees_fictives = true

[secret_statistique]
# Règle usuelle de diffusion des effectifs de personnes (Insee, guide du secret statistique) :
# pas de case de moins de 11 personnes ; dominance : une unité ne pèse pas plus de 85 %.
seuil_effectifs = 11
seuil_dominance = 0.85
source = "Insee, Guide du secret statistique (2023) ; règle des effectifs de moins de 11 personnes"

[financement]
# Équivalent BRSA du co-financement du Département : montant forfaitaire mensuel du RSA d'une
# personne seule sans autre ressource (646,52 € au 1er avril 2025) × 12 mois.
montant_rsa_annuel = 7758.24
source = "Décret n° 2025-293 du 29 mars 2025 (RSA : 646,52 € par mois au 1er avril 2025) × 12"

[valorisation]
# Coûts évités : chaque coût unitaire est multiplié par les sorties de sa base (« par » :
# sorties_durables ou sorties_dynamiques) ; sans coût déclaré, la valorisation n'est pas calculée.
[[valorisation.couts]]
# hypothèse : chaque sortant en emploi durable aurait perçu le RSA d'une personne seule
libelle = "Une année de RSA (personne seule) évitée par sortie en emploi durable"
par = "sorties_durables"
montant = 7758.24
source = "Décret n° 2025-293 du 29 mars 2025 (RSA : 646,52 € par mois) × 12"

[rapport]
# le rapport PDF à chaque construction (gardé d'une construction à l'autre)
pdf = true

[campagne]
# date limite de retour des questionnaires : rappelée dans les classeurs annotés et le publipostage
echeance = 2026-03-31
"""


@dataclass(frozen=True)
class Structure:
    """A fictional SIAE."""

    siret: str
    type_siae: str
    denomination: str
    code_commune: str
    etp_conventionnes: float


def generate_demo(target: Path, departements: tuple[str, ...] = ("26",),
                  millesimes: tuple[int, ...] = (2024, 2025), seed: int = 2026,
                  structures_per_departement: int = 50, with_anomalies: bool = True,
                  with_asp: bool = True) -> dict:
    """Write a fictional project into ``target``; returns counts of what was written.

    ``with_asp=False`` leaves out the ASP extranet files (the national benchmark: their reader is
    sized for a département's extraction).
    """
    communes = referentiel.territoires(list(departements))
    rng = random.Random(seed)
    structures = _structures(rng, communes, structures_per_departement * len(departements))
    contract = load_contract("raw_questionnaires")
    config = target / "iae-etat.toml"
    if not config.exists():
        names = ", ".join(sorted(set(communes["nom_departement"]))) if len(departements) <= 3 \
            else f"{len(departements)} départements"
        write_text(config, DEMO_CONFIG.format(
            nom=f"{names} — démonstration (données fictives)",
            departements=", ".join(f'"{d}"' for d in departements)))
    counts = {"structures": 0, "questionnaires": 0, "communes": len(communes)}
    previous: dict[str, dict] = {}
    for year_index, millesime in enumerate(millesimes):
        year_rng = random.Random(f"{seed}-{millesime}")
        present = [s for s in structures if year_index > 0 or year_rng.random() > 0.06]
        _write_structures_list(target, millesime, present, communes, year_rng)
        counts["structures"] = len(present)
        previous = _write_questionnaires(
            target, millesime, present, communes, contract, year_rng,
            with_anomalies and millesime == millesimes[-1], previous)
        counts["questionnaires"] = len(previous)
        _write_france_travail(target, millesime, communes)
        write_sources(target, millesime, present, communes, seed, with_asp)
    return counts


def _structures(rng: random.Random, communes: pd.DataFrame, count: int) -> list[Structure]:
    weights = (communes["population"].fillna(0).astype(float) ** 1.2).tolist()
    codes = communes["code_commune"].tolist()
    names = dict(zip(codes, communes["nom_commune"], strict=True))
    out, used = [], set()
    while len(out) < count:
        kind = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        code = rng.choices(codes, weights)[0]
        siret = _fictional_siret(rng)
        name = f"{rng.choice(NAME_STEMS[kind])} {names[code]}"
        if name in used:
            name = f"{name} {len(out) + 1}"
        used.add(name)
        low, high = ETP_RANGE[kind]
        out.append(Structure(siret, kind, name, code, round(rng.uniform(low, high), 1)))
    return sorted(out, key=lambda s: (s.siret, s.type_siae))


def _fictional_siret(rng: random.Random) -> str:
    """A Luhn-valid, invented SIRET."""
    digits = [rng.randrange(10) for _ in range(13)]
    for check in range(10):
        candidate = digits + [check]
        total = 0
        for i, d in enumerate(reversed(candidate)):
            d = d * 2 if i % 2 else d
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return "".join(map(str, candidate))
    raise AssertionError("unreachable: one check digit always fits")


def _first_postal_code(communes: pd.DataFrame) -> dict[str, str]:
    return {c: (p.split() or [""])[0] for c, p in
            zip(communes["code_commune"], communes["codes_postaux"].fillna(""), strict=True)}


def _write_structures_list(target: Path, millesime: int, structures: list[Structure],
                           communes: pd.DataFrame, rng: random.Random) -> None:
    cps = _first_postal_code(communes)
    info = communes.set_index("code_commune")
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(ASP_COLUMNS)
    for s in structures:
        dep = info.at[s.code_commune, "code_departement"]
        commune = normalise_name(info.at[s.code_commune, "nom_commune"])
        writer.writerow([s.type_siae, dep.zfill(3), normalise_name(info.at[s.code_commune,
                         "nom_departement"]), cps[s.code_commune], commune, NAF[s.type_siae],
                         JURIDIQUE[s.type_siae], s.siret, s.denomination.upper(),
                         rng.randint(1, 120), rng.choice(STREETS), cps[s.code_commune], commune])
    write_text(target / "data" / "raw" / "structures" / str(millesime) / "liste_siae.csv",
               buffer.getvalue())


def _answers(s: Structure, millesime: int, rng: random.Random) -> dict:
    """Coherent fictional answers of one SIAE."""
    growth = 1 + 0.03 * (millesime - 2024)
    etp = round(s.etp_conventionnes * growth, 1)
    realises = round(etp * rng.uniform(0.82, 1.08), 1)
    salaries = max(3, round(realises * PEOPLE_PER_ETP[s.type_siae] * rng.uniform(0.85, 1.15)))
    femmes = round(salaries * rng.uniform(0.25, 0.6))
    young = round(salaries * rng.uniform(0.15, 0.3))
    senior = round(salaries * rng.uniform(0.1, 0.25))
    sorties = round(salaries * rng.uniform(0.35, 0.55))
    retraits = round(sorties * rng.uniform(0, 0.08))
    durables = round((sorties - retraits) * rng.uniform(0.1, 0.3))
    transition = round((sorties - retraits) * rng.uniform(0.1, 0.25))
    positives = round((sorties - retraits) * rng.uniform(0.05, 0.15))
    autres = sorties - retraits - durables - transition - positives
    aide = AIDE_AU_POSTE[s.type_siae]
    infra = round(salaries * rng.uniform(0.3, 0.5))
    cap = round(salaries * rng.uniform(0.2, 0.35))
    present = round(salaries * rng.uniform(0.45, 0.6))
    femmes_p = round(present * femmes / salaries)
    young_p = round(present * young / salaries)
    senior_p = round(present * senior / salaries)
    entrees = round(salaries * rng.uniform(0.4, 0.6))
    brsa = round(salaries * rng.uniform(0.2, 0.45))
    at_end = {
        "salaries_31_12": present, "femmes_31_12": femmes_p, "hommes_31_12": present - femmes_p,
        "age_moins_26_31_12": young_p, "age_50_plus_31_12": senior_p,
        "age_26_49_31_12": present - young_p - senior_p,
        "brsa_31_12": round(present * brsa / salaries),
        "rqth_31_12": round(present * rng.uniform(0.05, 0.15)),
        "detld_31_12": round(present * rng.uniform(0.15, 0.3)),
        "residents_qpv_31_12": round(present * rng.uniform(0.05, 0.3)),
        "niveau_infra_cap_31_12": round(present * rng.uniform(0.3, 0.5)),
        "entrees": entrees, "entrees_brsa": min(brsa, round(entrees * rng.uniform(0.2, 0.45))),
        "secteur_secondaire": rng.choice(SECTEURS) if rng.random() < 0.4 else None,
        "entreprises_partenaires": rng.randint(2, 40),
    }
    return {
        **at_end,
        "siret": s.siret, "type_siae": s.type_siae, "denomination": s.denomination,
        "code_commune_siege": s.code_commune, "etp_conventionnes": etp,
        "etp_realises": realises,
        "aide_au_poste": (poste := round(etp * aide * rng.uniform(1, 1.05))),
        "salaries_annee": salaries,
        "femmes": femmes, "hommes": salaries - femmes, "age_moins_26": young,
        "age_50_plus": senior, "age_26_49": salaries - young - senior,
        "brsa": brsa,
        "ass": round(salaries * rng.uniform(0.02, 0.08)),
        "aah": round(salaries * rng.uniform(0.01, 0.06)),
        "rqth": round(salaries * rng.uniform(0.05, 0.15)),
        "deld": round(salaries * rng.uniform(0.15, 0.25)),
        "detld": round(salaries * rng.uniform(0.15, 0.3)),
        "residents_qpv": round(salaries * rng.uniform(0.05, 0.3)),
        "residents_frr": round(salaries * rng.uniform(0, 0.2)),
        "niveau_infra_cap": infra, "niveau_cap_bep": cap,
        "niveau_non_certifiant": round((salaries - infra - cap) * rng.uniform(0, 0.5)),
        "sorties": sorties,
        "sorties_durables": durables, "sorties_transition": transition,
        "sorties_positives": positives, "sorties_autres": autres, "sorties_retraits": retraits,
        "heures_accompagnement": round(salaries * rng.uniform(20, 60)),
        "heures_formation": round(salaries * rng.uniform(10, 50)),
        "actions_formation": round(salaries * rng.uniform(0.3, 1.2)),
        "freins_traites": round(salaries * rng.uniform(0.5, 2)),
        "etp_encadrement_technique": round(etp / rng.uniform(6, 10), 1),
        "etp_accompagnement": round(etp / rng.uniform(12, 24), 1),
        "etp_direction": round(rng.uniform(0.5, 2.5), 1), "benevoles": rng.randint(0, 15),
        "secteur_principal": rng.choice(SECTEURS),
        "chiffre_affaires": round(etp * rng.uniform(8000, 40000), -2),
        "subvention_etat": poste + round(etp * aide * rng.uniform(0, 0.1), -2),
        "subvention_departement": round(etp * rng.uniform(1000, 6000), -2),
        "subvention_region": round(rng.uniform(0, 30000), -2),
        "subvention_communes": round(rng.uniform(0, 20000), -2),
        "subvention_fse": round(rng.uniform(0, 40000), -2),
        "subvention_autres": round(rng.uniform(0, 10000), -2),
        "partenariats": "Partenariat fictif avec des entreprises locales et France Travail.",
        "bonnes_pratiques": PRATIQUES[int(s.siret) % len(PRATIQUES)],
    }


def _residence(s: Structure, salaries: int, epci_of: dict[str, str], epcis: list[str],
               rng: random.Random) -> dict[str, int]:
    """Where the salariés of one SIAE live: mostly in its own EPCI, some around."""
    own = epci_of[s.code_commune] if isinstance(epci_of[s.code_commune], str) else "hors"
    others = rng.sample([e for e in epcis if e != own], k=max(0, min(2, len(epcis) - 1)))
    split = {own: round(salaries * rng.uniform(0.6, 0.85))}
    rest = salaries - split[own]
    for code in others:
        share = round(rest * rng.uniform(0.3, 0.6))
        split[code] = share
        rest -= share
    split["hors"] = split.get("hors", 0) + rest
    return {k: v for k, v in split.items() if v > 0}


SIRET_DAMAGE = "SIRET saisi comme un nombre"
# Damage found in real returns, each applied to one demo workbook of the last millésime:
# (what it shows, how it changes the answers). Files are damaged on top of that below.
_DAMAGES = (
    ("milliers avec espaces", lambda a: a.update(chiffre_affaires=f"{int(a['chiffre_affaires']):,}"
                                                 .replace(",", " "))),
    ("virgule décimale", lambda a: a.update(etp_realises=str(a["etp_realises"])
                                            .replace(".", ","))),
    ("texte dans un nombre", lambda a: a.update(salaries_annee=f"environ {a['salaries_annee']}")),
    ("dont supérieur au total", lambda a: a.update(brsa=a["salaries_annee"] + 4)),
    ("sorties qui ne s'additionnent pas", lambda a: a.update(
        sorties_autres=a["sorties_autres"] + 3)),
    ("ETP réalisés très éloignés", lambda a: a.update(
        etp_realises=round(a["etp_conventionnes"] * 0.55, 1))),
    (SIRET_DAMAGE, lambda a: a.update(siret=int(a["siret"]))),
    ("texte libre", lambda a: a.update(benevoles="une dizaine")),
)
RESAVED_AT = "2026-03-16T09:12:00Z"


def _write_questionnaires(target: Path, millesime: int, structures: list[Structure],
                          communes: pd.DataFrame, contract, rng: random.Random,
                          with_anomalies: bool, previous: dict[str, dict]) -> dict[str, dict]:
    """Write the returns of ``millesime``; returns the answers by file name (for next year)."""
    folder = target / "data" / "raw" / "questionnaires" / str(millesime)
    residence_contract = load_contract(QUESTIONNAIRES_RESIDENCE)
    epci_of = dict(zip(communes["code_commune"], communes["code_epci"], strict=True))
    departement_of = dict(zip(communes["code_commune"], communes["code_departement"],
                              strict=True))
    # The « Résidence » sheet lists the EPCI of the SIAE's own département.
    epcis: dict[str, list[tuple[str, str]]] = {}
    for dep, group in communes.dropna(subset=["code_epci"]).groupby("code_departement"):
        epcis[dep] = sorted(set(zip(group["code_epci"], group["nom_epci"], strict=True)))
    written: dict[str, dict] = {}
    responding = []
    for s in structures:
        if rng.random() > RESPONSE_RATE:
            continue
        answers = _answers(s, millesime, rng)
        codes = [code for code, _ in epcis.get(departement_of[s.code_commune], [])]
        residence = _residence(s, answers["salaries_annee"], epci_of, codes, rng)
        responding.append((s, answers, residence))
    damaged = {}
    if with_anomalies:
        # A SIRET with a leading zero shows the damage of a number-typed SIRET best.
        zero = [i for i, (s, _, _) in enumerate(responding) if s.siret.startswith("0")]
        slots = [i for i in range(3, len(responding), 4) if i not in zero]
        for n, (label, damage) in enumerate(_DAMAGES):
            index = zero[0] if label == SIRET_DAMAGE and zero else slots[n]
            damaged[index] = damage
    templates: dict[tuple[str, bool], WorkbookTemplate] = {}
    for index, (s, answers, residence) in enumerate(responding):
        name = f"{s.siret}_{s.type_siae}.xlsx"
        written[name] = answers
        shown = dict(answers)
        if index in damaged:
            damaged[index](shown)
        dep = departement_of[s.code_commune]
        key = (dep, name in previous)
        if key not in templates:
            templates[key] = WorkbookTemplate(contract, millesime, True, residence_contract,
                                              epcis.get(dep, []), with_previous=key[1])
        write_bytes(folder / name, templates[key].fill(shown, residence, previous.get(name)))
    if with_anomalies and len(responding) > 8:
        dep = departement_of[responding[1][0].code_commune]
        _write_damaged_files(folder, millesime, responding, contract, residence_contract,
                             epcis[dep], rng)
    return written


def _write_damaged_files(folder: Path, millesime: int, responding: list, contract,
                         residence_contract, epcis: list, rng: random.Random) -> None:
    """Files a real collection receives: a renamed copy, a re-sent correction, strangers."""
    def workbook(answers: dict, year: int = millesime) -> bytes:
        return build_workbook(contract, year, answers, fictitious=True,
                              residence_contract=residence_contract, epcis=epcis)

    answers = responding[1][1]
    # Sent again under a mail client's name, re-saved later with one figure corrected.
    corrected = {**answers, "heures_formation": answers["heures_formation"] + 12}
    write_bytes(folder / "questionnaire IAE (1).xlsx", resaved(workbook(corrected), RESAVED_AT))
    # A structure that is not conventionnée in the département answered anyway.
    stranger = {**responding[2][1], "siret": _fictional_siret(rng), "type_siae": "EI",
                "denomination": "Entreprise non conventionnée (fictive)"}
    write_bytes(folder / f"{stranger['siret']}_EI.xlsx", workbook(stranger))
    # Last year's workbook dropped in this year's folder.
    s, answers, _ = responding[5]
    write_bytes(folder / f"{s.siret}_{s.type_siae}_ancien.xlsx",
                workbook(answers, millesime - 1))


def resaved(data: bytes, when: str) -> bytes:
    """The workbook as a spreadsheet saving it at ``when`` (ISO time) would date it."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["docProps/core.xml"] = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)",
                                        rb"\g<1>" + when.encode() + rb"\g<2>",
                                        parts["docProps/core.xml"])
    return zip_parts(parts)


def _write_france_travail(target: Path, millesime: int, communes: pd.DataFrame) -> None:
    """The DARES communal file as the portal exports it (labels, long format): the fourth
    quarters of the last ``FT_YEARS`` years (ten in the real file), rounded to 5, with the
    cumulative « Total » rows. A commune's value of a year is the same in every edition; from
    2025 on the RSA beneficiaries registered by the
    loi pour le plein emploi raise it (the series break)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(FT_HEADERS)
    totals: dict[tuple[str, str, str], int] = {}
    for year in range(millesime - FT_YEARS + 1, millesime + 1):
        for row in communes.itertuples(index=False):
            rng = random.Random(f"ft-{row.code_commune}-{year}")
            level = random.Random(f"ft-{row.code_commune}").uniform(0.05, 0.09)
            abc = max(0.0, float(row.population or 0)) * level * rng.uniform(0.95, 1.05) \
                * (1 - 0.015 * (year - 2015)) * (FT_BREAK_FACTOR if year >= 2025 else 1)
            men = abc * rng.uniform(0.46, 0.52)
            young, old = abc * rng.uniform(0.11, 0.16), abc * rng.uniform(0.25, 0.32)
            cells = (("Total", "Total", abc), ("Hommes", "Total", men),
                     ("Femmes", "Total", abc - men), ("Total", FT_AGES[0], young),
                     ("Total", FT_AGES[1], abc - young - old), ("Total", FT_AGES[2], old))
            for sexe, age, value in cells:
                shown = int(round(value / 5) * 5)
                writer.writerow([f"{year}-T4", row.code_region, row.nom_region,
                                 row.code_departement, row.nom_departement, row.code_commune,
                                 row.nom_commune, "Brutes", "ABC", sexe, age, shown])
                key = (f"{year}-T4", sexe, age)
                totals[key] = totals.get(key, 0) + shown
    for (date, sexe, age), value in totals.items():  # cumulative rows: not communes
        for label, share in (("Total France métropolitaine", 40), ("Non localisés", 0.02)):
            writer.writerow([date, "", "", "", "", "Total", label, "Brutes", "ABC", sexe, age,
                             int(round(value * share / 5) * 5)])
    write_text(target / "data" / "raw" / "france_travail" / str(millesime)
               / "dares_defm_communales-brutes.csv", "\ufeff" + buffer.getvalue())
