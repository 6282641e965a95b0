"""What-if scenarios for the plan d'action: coverage before and after a change of the offer (pure).

A scenario file is TOML (the syntax of ``iae-etat.toml``): an optional ``titre`` and one
``[[hypothese]]`` table per hypothesis::

    titre = "Renforcer l'offre du sud du département"

    [[hypothese]]
    epci = "200042901"        # or commune = "26198"
    type_siae = "ACI"         # ACI, AI, EI, ETTI or EITI
    etp = 10                  # ETP conventionnés added; negative: removed

    [[hypothese]]
    commune = "26108"
    type_siae = "EI"
    etp = 8
    nouvelle_structure = "Nom de la structure créée"   # a new SIAE in this commune

A commune hypothesis changes the commune and every territory holding it (EPCI, arrondissement,
zone d'emploi, CLPE, département); an EPCI hypothesis the EPCI and its département only (the
other levels are not made of EPCI). Adding or removing ETP changes the existing structures of
that kind, so the territory must hold one, and no kind may end with negative ETP; a new structure
also counts one more SIAE (a zone blanche may stop being one). The coverage is recomputed by
``couverture`` on the changed indicators (taux d'équipement, parts, indice de couverture and its
band, zones blanches) and compared with the coverage before. As the parts are shares of the
whole scope, every territory's part de l'offre moves a little: the territories the hypotheses
touch are listed (effet ``direct``), the others only when their band or zone blanche status
changes (effet ``indirect``).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from iae_etat.analyse.couverture import couverture
from iae_etat.common.errors import Probleme, ScenarioError
from iae_etat.common.indicators import NEEDS
from iae_etat.common.vocabulary import ENSEMBLE, LEVEL_LABELS, LEVELS, TYPES_SIAE
from iae_etat.tables.contracts import columns
from iae_etat.territoires.codes import normalise_commune, normalise_epci
from iae_etat.territoires.levels import level_frame

CONSEIL = ("Voir le format dans docs/plan-action.md (« Scénarios ») et l'exemple "
           "scenarios/exemple-scenario.toml du projet de démonstration.")
CLES = ("commune", "epci", "type_siae", "etp", "nouvelle_structure", "commentaire")
CLES_FICHIER = ("titre", "hypothese")
DIRECT, INDIRECT = "direct", "indirect"
# The columns of one scenario's results and hypotheses: the contracts of the tables the
# scenarios stage writes, without the columns naming the scenario file.
COLUMNS = [c for c in columns("out_scenarios_resultats") if c not in ("fichier", "ordre")]
HYPOTHESE_COLUMNS = [c for c in columns("out_scenarios_hypotheses") if c != "fichier"]
_COMPARED = {"etp_conventionnes": "etp", "nb_siae": "nb_siae", "taux_equipement": "taux",
             "part_offre": "part_offre", "indice_couverture": "indice",
             "couverture": "couverture", "zone_blanche": "zone_blanche"}
_KEY = ["diffusion", "niveau", "code", "besoin"]
# The rows of out_indicateurs a scenario reads (all publics together, both diffusions: the
# hypotheses are checked against the true values).
INPUTS = ("nb_siae", "etp_conventionnes", *NEEDS)
INPUT_FILTERS = [("public", "==", ENSEMBLE), ("indicateur", "in", list(INPUTS))]
_TOLERANCE = 1e-9
_HEADER = re.compile(r"^\s*\[\[\s*hypothese\s*\]\]")
_TABLE = re.compile(r"^\s*\[")
_SINGLE = re.compile(r"^\s*\[\s*hypothese\s*\]")
_ASSIGNMENT = re.compile(r"""^\s*["']?([A-Za-z0-9_-]+)["']?\s*=""")
_TOML_POSITION = re.compile(r"at line (\d+), column (\d+)")


@dataclass(frozen=True)
class Hypothese:
    """One change of the offer; ``lignes`` locates its header ("") and keys in the file."""

    numero: int
    niveau: str
    code: str
    type_siae: str
    etp: float
    nouvelle_structure: str = ""
    commentaire: str = ""
    lignes: dict[str, int] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Scenario:
    """A what-if file: its name as shown to the user, its title and its hypotheses."""

    fichier: str
    titre: str
    hypotheses: tuple[Hypothese, ...]


def parse_scenario(text: str, fichier: str) -> Scenario:
    """The scenario written in ``text``; every problem at once as a ``ScenarioError``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        position = _TOML_POSITION.search(str(exc))
        where = f" à la ligne {position[1]}, colonne {position[2]}" if position else ""
        raise ScenarioError(f"{fichier} : syntaxe TOML invalide{where}.",
                            conseil=CONSEIL) from None
    top, blocks = _locations(text)
    problems = [_probleme(fichier, top.get(key), None, key, "clé inconnue (clés possibles : "
                          f"{', '.join(CLES_FICHIER)})", "scenario.cle_inconnue")
                for key in data if key not in CLES_FICHIER]
    titre = data.get("titre", "")
    if not isinstance(titre, str):
        problems.append(_probleme(fichier, top.get("titre"), None, "titre",
                                  "le titre doit être un texte entre guillemets",
                                  "scenario.titre"))
        titre = ""
    tables = data.get("hypothese", [])
    if isinstance(tables, dict):
        problems.append(_probleme(fichier, top.get("hypothese"), None, "hypothese",
                                  "écrivez [[hypothese]], avec des crochets doubles, en tête de "
                                  "chaque hypothèse", "scenario.hypothese"))
        tables = []
    elif not isinstance(tables, list) or not tables:
        problems.append(_probleme(fichier, top.get("hypothese"), None, "hypothese",
                                  "aucune hypothèse : ajoutez au moins une table [[hypothese]]",
                                  "scenario.sans_hypothese"))
        tables = []
    hypotheses = []
    for numero, table in enumerate(tables, start=1):
        lignes = blocks[numero - 1] if numero <= len(blocks) else {}
        if not isinstance(table, dict):
            problems.append(_probleme(fichier, None, numero, "hypothese",
                                      "une hypothèse doit être une table [[hypothese]]",
                                      "scenario.hypothese"))
            continue
        hypothese, found = _hypothese(table, numero, lignes, fichier)
        problems += found
        if hypothese is not None:
            hypotheses.append(hypothese)
    if problems:
        raise ScenarioError(f"{fichier} : fichier de scénario invalide ({len(problems)} "
                            "problème(s)).", problems,
                            conseil=CONSEIL)
    return Scenario(fichier, titre.strip(), tuple(hypotheses))


def _locations(text: str) -> tuple[dict[str, int], list[dict[str, int]]]:
    """Line numbers of the top-level keys and, per ``[[hypothese]]``, of its header and keys."""
    top: dict[str, int] = {}
    blocks: list[dict[str, int]] = []
    current: dict[str, int] | None = top
    for number, line in enumerate(text.splitlines(), start=1):
        if _HEADER.match(line):
            current = {"": number}
            blocks.append(current)
            top.setdefault("hypothese", number)
        elif _TABLE.match(line):
            if _SINGLE.match(line):
                top.setdefault("hypothese", number)
            current = None
        elif current is not None and (match := _ASSIGNMENT.match(line)):
            current.setdefault(match[1], number)
    return top, blocks


def _probleme(fichier: str, ligne: int | None, numero: int | None, cle: str, message: str,
              regle: str, valeur: object = "") -> Probleme:
    """A located problem of the file: line, hypothesis number and key."""
    where = [f"ligne {ligne}"] if ligne else []
    where += [f"hypothèse n° {numero}"] if numero else []
    where.append(f"clé « {cle} »")
    return Probleme(fichier=fichier, regle=regle, champ=cle, valeur=str(valeur),
                    message=f"{', '.join(where)} : {message}.")


def _hypothese(table: dict, numero: int, lignes: dict[str, int],
               fichier: str) -> tuple[Hypothese | None, list[Probleme]]:
    """One ``[[hypothese]]`` table checked key by key."""
    problems = []

    def problem(cle: str, message: str, regle: str, valeur: object = "") -> None:
        problems.append(_probleme(fichier, lignes.get(cle, lignes.get("")), numero, cle,
                                  message, regle, valeur))

    for key in table:
        if key not in CLES:
            problem(key, f"clé inconnue (clés possibles : {', '.join(CLES)})",
                    "scenario.cle_inconnue")
    places = [k for k in ("commune", "epci") if k in table]
    niveau, code = "", ""
    if len(places) != 1:
        problem("commune", "indiquez un seul territoire : commune = \"26198\" ou epci = "
                "\"200042901\"", "scenario.territoire")
    else:
        niveau = places[0]
        normaliser = normalise_commune if niveau == "commune" else normalise_epci
        code = normaliser(table[niveau]) or ""
        if not code:
            expected = "de commune (code INSEE à 5 caractères)" if niveau == "commune" \
                else "d'EPCI (SIREN à 9 chiffres)"
            problem(niveau, f"« {table[niveau]} » n'est pas un code {expected}",
                    "scenario.code_invalide", table[niveau])
    kind = table.get("type_siae")
    type_siae = kind.strip().upper() if isinstance(kind, str) else ""
    if kind is None:
        problem("type_siae", f"indiquez le type de SIAE ({', '.join(TYPES_SIAE)})",
                "scenario.type_siae")
    elif type_siae not in TYPES_SIAE:
        problem("type_siae", f"type de SIAE « {kind} » inconnu (valeurs possibles : "
                f"{', '.join(TYPES_SIAE)})", "scenario.type_siae", kind)
    etp = table.get("etp")
    if isinstance(etp, bool) or not isinstance(etp, int | float) or not math.isfinite(etp) \
            or etp == 0:
        problem("etp", "le nombre d'ETP conventionnés ajoutés (ou retirés, s'il est négatif) "
                "doit être un nombre non nul, sans guillemets", "scenario.etp", etp)
        etp = 0.0
    nouvelle = table.get("nouvelle_structure", "")
    if not isinstance(nouvelle, str) or ("nouvelle_structure" in table and not nouvelle.strip()):
        problem("nouvelle_structure", "le nom de la structure créée doit être un texte non vide",
                "scenario.nouvelle_structure", nouvelle)
        nouvelle = ""
    elif nouvelle and niveau == "epci":
        problem("nouvelle_structure", "une structure se crée dans une commune : remplacez "
                "epci par commune", "scenario.nouvelle_structure", nouvelle)
    elif nouvelle and etp < 0:
        problem("etp", "une structure créée a un nombre d'ETP positif", "scenario.etp", etp)
    commentaire = table.get("commentaire", "")
    if not isinstance(commentaire, str):
        problem("commentaire", "le commentaire doit être un texte", "scenario.commentaire")
        commentaire = ""
    if problems:
        return None, problems
    return Hypothese(numero, niveau, code, type_siae, float(etp), nouvelle.strip(),
                     commentaire.strip(), lignes), []


def simulate(indicateurs: pd.DataFrame, territoires: pd.DataFrame, scenario: Scenario,
             seuil: float) -> pd.DataFrame:
    """Coverage before and after ``scenario`` (both diffusions, columns ``COLUMNS``).

    ``indicateurs`` is ``out_indicateurs``; the hypotheses are checked against it (known
    territory, a SIAE of the kind where ETP are added or removed, no negative ETP).
    """
    inputs = indicateurs[(indicateurs["public"] == ENSEMBLE)
                         & indicateurs["indicateur"].isin(INPUTS)]
    deltas, direct = _deltas(scenario, territoires, inputs)
    after = inputs.merge(deltas, on=["niveau", "code", "indicateur", "type_siae"], how="left")
    after["valeur"] = after["valeur"] + after.pop("delta").fillna(0.0)
    before = couverture(inputs, seuil).set_index(_KEY)
    changed = couverture(after, seuil).set_index(_KEY)
    out = before[["libelle", "libelle_besoin", "valeur_besoin", "part_besoin"]].copy()
    for column, name in _COMPARED.items():
        out[f"{name}_avant"] = before[column]
        out[f"{name}_apres"] = changed[column].reindex(out.index)
    out["statut"] = changed["statut"].reindex(out.index)
    out = out.reset_index()
    touched = np.array([(niveau, code) in direct
                        for niveau, code in zip(out["niveau"], out["code"], strict=True)],
                       dtype=bool)
    moved = (out["couverture_avant"].fillna("") != out["couverture_apres"].fillna("")) \
        | (out["zone_blanche_avant"] != out["zone_blanche_apres"])
    out["effet"] = np.where(touched, DIRECT, INDIRECT)
    out = out[touched | moved.to_numpy()]
    order = out["niveau"].map({level: rank for rank, level in enumerate(LEVELS)})
    out = out.assign(_ordre=order).sort_values(["diffusion", "_ordre", "effet", "code",
                                                "besoin"])
    return out.reset_index(drop=True)[COLUMNS]


def _deltas(scenario: Scenario, territoires: pd.DataFrame,
            inputs: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Changes of ``etp_conventionnes`` and ``nb_siae`` per (level, territory, kind), and the
    territories touched; a hypothesis that cannot apply is a located problem."""
    full = inputs[inputs["diffusion"] == "restreinte"]
    known = dict(zip(zip(full["niveau"], full["code"], full["indicateur"], full["type_siae"],
                         strict=True), full["valeur"], strict=True))
    labels = dict(zip(zip(full["niveau"], full["code"], strict=True), full["libelle"],
                      strict=True))
    maps = {level: table.set_index("code_commune")["code"]
            for level in LEVELS if (table := level_frame(territoires, level)) is not None}
    totals: dict[tuple[str, str, str, str], float] = {}
    direct: set[tuple[str, str]] = set()
    problems = []
    for h in scenario.hypotheses:
        targets, message = _targets(h, maps, territoires)
        if message:
            problems.append(_located(scenario, h, h.niveau, message, "scenario.territoire",
                                     h.code))
            continue
        place = f"{LEVEL_LABELS[h.niveau]} {labels.get((h.niveau, h.code), h.code)}"
        if not h.nouvelle_structure:
            count = known.get((h.niveau, h.code, "nb_siae", h.type_siae), 0.0) \
                + totals.get((h.niveau, h.code, "nb_siae", h.type_siae), 0.0)
            if not count > 0:
                problems.append(_located(
                    scenario, h, "type_siae", f"aucune SIAE de type {h.type_siae} dans « {place} » "
                    ": pour en créer une, indiquez une commune et nouvelle_structure = \"nom\"",
                    "scenario.type_absent", h.type_siae))
                continue
        message = _negative(h, targets, known, totals, labels)
        if message:
            problems.append(_located(scenario, h, "etp", message, "scenario.etp_negatif",
                                     f"{h.etp:g}"))
            continue
        for niveau, code in targets:
            for kind in (h.type_siae, ENSEMBLE):
                key = (niveau, code, "etp_conventionnes", kind)
                totals[key] = totals.get(key, 0.0) + h.etp
                if h.nouvelle_structure:
                    key = (niveau, code, "nb_siae", kind)
                    totals[key] = totals.get(key, 0.0) + 1
        direct.update(targets)
    if problems:
        raise ScenarioError(f"{scenario.fichier} : le scénario ne peut pas s'appliquer aux "
                            f"données ({len(problems)} problème(s)).", problems)
    deltas = pd.DataFrame([(*key, value) for key, value in totals.items()],
                          columns=["niveau", "code", "indicateur", "type_siae", "delta"])
    return deltas, direct


def _targets(h: Hypothese, maps: dict[str, pd.Series],
             territoires: pd.DataFrame) -> tuple[list[tuple[str, str]], str]:
    """The territories a hypothesis changes, or why it cannot apply."""
    if h.niveau == "commune":
        if h.code not in maps["commune"].index:
            return [], f"la commune {h.code} n'est pas dans le périmètre du projet"
        return [(level, str(codes[h.code])) for level, codes in maps.items()
                if h.code in codes.index], ""
    if "epci" not in maps or h.code not in set(maps["epci"]):
        return [], f"l'EPCI {h.code} n'est pas dans le périmètre du projet"
    members = maps["epci"][maps["epci"] == h.code].index
    departements = sorted(set(territoires.loc[territoires["code_commune"].isin(members),
                                              "code_departement"]))
    if len(departements) > 1:
        return [], (f"l'EPCI {h.code} s'étend sur plusieurs départements du projet : indiquez "
                    "plutôt une commune")
    return [("epci", h.code), ("departement", departements[0])], ""


def _negative(h: Hypothese, targets: list[tuple[str, str]], known: dict, totals: dict,
              labels: dict) -> str:
    """Why removing ETP is impossible (unknown or negative ETP of the kind), else ''."""
    if h.etp > 0:
        return ""
    for niveau, code in targets:
        before = known.get((niveau, code, "etp_conventionnes", h.type_siae), math.nan)
        place = f"{LEVEL_LABELS[niveau]} {labels.get((niveau, code), code)}"
        if pd.isna(before):
            return (f"les ETP conventionnés des {h.type_siae} de « {place} » ne sont pas connus "
                    "(aucune structure n'a répondu) : le retrait ne peut pas être vérifié")
        after = before + totals.get((niveau, code, "etp_conventionnes", h.type_siae), 0.0) + h.etp
        if after < -_TOLERANCE:
            return (f"retirer {_fr(-h.etp)} ETP laisserait {_fr(after)} ETP conventionnés d'"
                    f"{h.type_siae} dans « {place} » (il y en a {_fr(before)})")
    return ""


def _fr(value: float) -> str:
    """``-1.8`` → ``−1,8`` (rounded to 4 decimals, no thousands separator)."""
    return f"{round(value, 4):g}".replace(".", ",").replace("-", "−")


def _located(scenario: Scenario, h: Hypothese, cle: str, message: str, regle: str,
             valeur: str) -> Probleme:
    """A problem of hypothesis ``h`` at the line of ``cle``."""
    return _probleme(scenario.fichier, h.lignes.get(cle, h.lignes.get("")), h.numero, cle,
                     message, regle, valeur)


def hypotheses_table(scenario: Scenario, indicateurs: pd.DataFrame) -> pd.DataFrame:
    """The hypotheses, one row each, with the territory's name and a French description."""
    places = indicateurs.drop_duplicates(["niveau", "code"])
    labels = dict(zip(zip(places["niveau"], places["code"], strict=True), places["libelle"],
                      strict=True))
    rows = []
    for h in scenario.hypotheses:
        libelle = labels.get((h.niveau, h.code), h.code)
        place = f"{'EPCI' if h.niveau == 'epci' else 'commune'} {libelle} ({h.code})"
        amount = _fr(abs(h.etp))
        if h.nouvelle_structure:
            texte = (f"Création de « {h.nouvelle_structure} » ({h.type_siae}, {amount} ETP "
                     f"conventionnés) — {place}")
        else:
            verb = "Ajout" if h.etp > 0 else "Retrait"
            texte = f"{verb} de {amount} ETP conventionnés d'{h.type_siae} — {place}"
        rows.append({"numero": h.numero, "niveau": h.niveau, "code": h.code,
                     "libelle": libelle, "type_siae": h.type_siae, "etp": h.etp,
                     "nouvelle_structure": h.nouvelle_structure,
                     "commentaire": h.commentaire, "description": texte})
    return pd.DataFrame(rows, columns=HYPOTHESE_COLUMNS)
