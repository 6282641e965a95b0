"""Every section and key of ``iae-etat.toml``, declared once: type, range or choices, default
and French description.

The declaration validates the file when the project is loaded (``project/validation.py``, called
by ``config.load_projet``) and writes the settings table of the user guide (``docs/reglages.md``,
``markdown_table``; a test keeps the page current).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TYPES = {"texte": "un texte entre guillemets", "entier": "un nombre entier",
         "nombre": "un nombre", "booleen": "true ou false", "choix": "une des valeurs",
         "codes": "une liste de codes entre guillemets",
         "mots": "une liste de textes entre guillemets",
         "tables": "une liste de tables [[…]]",
         "date": "une date, par exemple 2026-03-31 ou \"31/03/2026\""}


@dataclass(frozen=True)
class Key:
    """One key of a section: type, constraints, default (None: no default) and description."""

    name: str
    type: str
    description: str
    default: Any = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    strict_minimum: bool = False  # the value must be above ``minimum``
    required: bool = False
    not_empty: bool = False  # a text or a list that must not be empty
    requires: tuple[str, ...] = ()  # keys of the same table that must be given with this one
    items: tuple[Key, ...] = ()  # the keys of each table of a ``tables`` key


@dataclass(frozen=True)
class Section:
    """One ``[section]``; ``free`` declares the value of keys named by the user."""

    name: str
    description: str
    keys: tuple[Key, ...] = ()
    free: Key | None = None


SECTIONS = (
    Section("projet", "Périmètre et nom du projet (obligatoire).", (
        Key("nom", "texte", "Nom du projet, repris en tête du rapport.", "Projet iae-etat"),
        Key("departements", "codes", "Départements du périmètre : codes 01 à 95, 2A, 2B, 971 à "
            "976, par exemple [\"26\"] ; `departements` ou `regions` doit être non vide.", ()),
        Key("regions", "codes", "Régions du périmètre (codes de région du code officiel "
            "géographique, par exemple [\"84\"]) : tous leurs départements sont pris.", ()),
        Key("donnees_fictives", "booleen", "Projet de démonstration : chaque sortie porte la "
            "mention « Données fictives de démonstration ».", False))),
    Section("secret_statistique", "Secret statistique des indicateurs publiés.", (
        Key("seuil_effectifs", "entier", "Plus petit effectif de personnes publié (les "
            "effectifs de 1 à seuil − 1 sont masqués).", 11, minimum=1),
        Key("seuil_dominance", "nombre", "Part au-delà de laquelle une seule structure domine "
            "un montant, qui est alors masqué.", 0.85, minimum=0, maximum=1,
            strict_minimum=True),
        Key("source", "texte", "Texte qui justifie les seuils, cité dans le rapport.", ""),
        Key("seuil_structures", "entier", "Nombre minimal de SIAE contributrices pour publier "
            "un chiffre tiré des données des structures (questionnaire, ASP) ; la dominance "
            "s'applique aussi aux effectifs.", 3, minimum=1),
        Key("source_structures", "texte", "Texte qui justifie `seuil_structures`, cité dans "
            "le rapport.", ""),
        Key("protection_effectifs", "nombre", "Intervalle de protection d'un effectif secret "
            "primaire, en personnes de part et d'autre, vérifié par l'audit (programmation "
            "linéaire) des tableaux publics.", 11, minimum=0),
        Key("protection_montants", "nombre", "Intervalle de protection d'un montant secret "
            "primaire, en part de sa valeur (0,10 : 10 %), vérifié par l'audit.", 0.10,
            minimum=0, maximum=1),
        Key("coordination", "booleen", "Masquage secondaire coordonné entre toutes les grilles "
            "(EPCI, arrondissements, zones d'emploi, CLPE), piloté par l'audit ; `false` laisse "
            "l'audit seul juge (la construction échoue s'il retrouve une case).", True))),
    Section("analyse", "Méthodes de l'analyse (rappelées dans l'annexe méthodologique).", (
        Key("attribution", "choix", "Rattachement de l'offre : à la commune du siège "
            "(`implantation`) ou aux EPCI de résidence des salariés (`residence`).",
            "implantation", choices=("implantation", "residence")),
        Key("non_reponse", "choix", "SIAE sans réponse : non comptées (`aucune`) ou estimées "
            "par pondération des répondantes (`calage`).", "aucune",
            choices=("aucune", "calage")),
        Key("seuil_zone_blanche", "nombre", "Besoin (demandeurs d'emploi ABC ou foyers RSA) à "
            "partir duquel un territoire sans SIAE (ni siège ni site d'activité) est une zone "
            "blanche.", 100, minimum=0),
        Key("taux_reponse_min", "nombre", "Part des SIAE ayant répondu (en %) sous laquelle la "
            "synthèse et le tableau de bord avertissent que les chiffres des questionnaires "
            "décrivent mal l'offre.", 60, minimum=0, maximum=100))),
    Section("financement", "Financement des SIAE.", (
        Key("montant_rsa_annuel", "nombre", "Montant annuel du RSA d'une personne seule, en "
            "euros, pour l'équivalent BRSA du co-financement du Département ; sans lui, "
            "l'indicateur est « nd ».", None, minimum=0, strict_minimum=True,
            requires=("source",)),
        Key("source", "texte", "Source du montant du RSA (décret et date).", "",
            not_empty=True))),
    Section("valorisation", "Valorisation : coûts évités, calculés seulement à partir des "
            "coûts unitaires déclarés.", (
        Key("couts", "tables", "Coûts unitaires, un bloc `[[valorisation.couts]]` par coût.",
            (), items=(
                Key("libelle", "texte", "Ce que le coût représente.", required=True,
                    not_empty=True),
                Key("par", "choix", "Base multipliée par le coût.", required=True,
                    choices=("sorties_durables", "sorties_dynamiques")),
                Key("montant", "nombre", "Montant unitaire en euros.", required=True,
                    minimum=0, strict_minimum=True),
                Key("source", "texte", "Source citée du montant.", required=True,
                    not_empty=True))),)),
    Section("bonnes_pratiques", "Thèmes des bonnes pratiques et leurs mots-clés (accents et "
            "majuscules ignorés) ; remplacent la liste par défaut.",
            free=Key("<thème>", "mots", "Mots-clés du thème, par exemple "
                     "\"Mobilité\" = [\"mobilité\", \"permis\"].", not_empty=True)),
    Section("rapport", "Sorties publiées.", (
        Key("diffusion", "choix", "Diffusion du tableau de bord : `publique` (secret "
            "statistique) ou `restreinte` (toutes les valeurs et l'onglet des structures).",
            "publique", choices=("publique", "restreinte")),
        Key("pdf", "booleen", "Produire `etat-des-lieux.pdf` à chaque construction.", False),
        Key("scenarios", "texte", "Dossier du projet dont les scénarios (`*.toml`) sont "
            "résumés dans le rapport.", "scenarios", not_empty=True))),
    Section("campagne", "Campagne annuelle du questionnaire des SIAE.", (
        Key("echeance", "date", "Date limite de retour des questionnaires, rappelée dans les "
            "classeurs annotés et le fichier de publipostage (`iae-etat campagne`)."),)),
)
BY_NAME = {s.name: s for s in SECTIONS}


def value_range(key: Key) -> str:
    """The bounds of a number key in French (« > 0 et ≤ 1 »)."""
    low = "" if key.minimum is None else \
        f"{'>' if key.strict_minimum else '≥'} {shown(key.minimum)}"
    high = "" if key.maximum is None else f"≤ {shown(key.maximum)}"
    return " et ".join(x for x in (low, high) if x)


def expected(key: Key) -> str:
    """What a value of ``key`` must be, in French."""
    if key.type == "choix":
        return " ou ".join(key.choices)
    kind = TYPES[key.type]
    bounds = value_range(key) if key.type in ("entier", "nombre") else ""
    return f"{kind}, {bounds}" if bounds else kind


def shown(value: Any) -> str:
    """A value as written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"\"{value}\""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def markdown_table() -> str:
    """The settings table of ``docs/reglages.md``, from the declaration."""
    rows = ["| section | clé | type | valeurs admises | défaut | description |",
            "| --- | --- | --- | --- | --- | --- |"]
    for section in SECTIONS:
        rows.append(f"| `[{section.name}]` | | | | | {section.description} |")
        keys = [*section.keys, *([section.free] if section.free else [])]
        for key in keys:
            rows.append(_row(section.name, key))
            rows += [_row(section.name, item, prefix=f"{key.name}.") for item in key.items]
    return "\n".join(rows) + "\n"


def _row(section: str, key: Key, prefix: str = "") -> str:
    allowed = expected(key) if key.type != "choix" else " ou ".join(f"`{c}`"
                                                                       for c in key.choices)
    if key.required:
        default = "obligatoire"
    elif key.default is None or key.default == ():
        default = "—"
    else:
        default = f"`{shown(key.default) if not isinstance(key.default, str) else key.default}`"
        default = "`\"\"`" if key.default == "" else default
    description = key.description.replace("|", "\\|")
    return f"| | `{prefix}{key.name}` | {key.type} | {allowed} | {default} | {description} |"
