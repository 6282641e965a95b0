"""The catalogue of control rules, declared in ``schemas/regles.yaml`` and loaded once.

Every rule code a ``Probleme`` may carry (``questionnaire.nombre_invalide``…) is declared there
with its gravité, a short French title, the template of its message and its conseil. A
``Probleme`` built without a gravité or a conseil takes the catalogue's; ``iae-etat regles``
lists the catalogue and writes ``docs/controles.md``; ``tests/common/test_rules.py`` fails on a
code used in the package but not declared, or declared with another gravité.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache

from iae_etat.common import resources

CATALOGUE_FILE = "regles.yaml"
GRAVITES = ("erreur", "avertissement", "info")
_FIELDS = ("code", "gravite", "titre", "message", "conseil")


@dataclass(frozen=True)
class Regle:
    """One control rule of the catalogue."""

    code: str
    gravite: str
    titre: str
    message: str
    conseil: str
    famille: str  # the French title of the rule's family (the code's first segment)

    def formatted(self, **values: object) -> str:
        """The message template filled with ``values`` (every placeholder must be given)."""
        return self.message.format(**values)

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The names between braces in the message template."""
        return tuple(name for _, name, _, _ in string.Formatter().parse(self.message) if name)


def load_rules(text: str) -> dict[str, Regle]:
    """The rules declared in ``text`` (the YAML of ``schemas/regles.yaml``), by code."""
    import yaml

    data = yaml.safe_load(text)
    familles = data["familles"]
    out: dict[str, Regle] = {}
    for entry in data["regles"]:
        code = entry.get("code", "?")
        unknown = set(entry) - set(_FIELDS)
        missing = [f for f in _FIELDS if not str(entry.get(f, "")).strip()]
        if unknown or missing:
            raise ValueError(f"{CATALOGUE_FILE} : règle {code} : clés inconnues {sorted(unknown)}"
                             f", clés absentes ou vides {missing}")
        if entry["gravite"] not in GRAVITES:
            raise ValueError(f"{CATALOGUE_FILE} : règle {code} : gravité « {entry['gravite']} » "
                             f"(attendu : {', '.join(GRAVITES)})")
        family = code.split(".")[0]
        if family not in familles:
            raise ValueError(f"{CATALOGUE_FILE} : règle {code} : famille « {family} » absente "
                             "de « familles »")
        if code in out:
            raise ValueError(f"{CATALOGUE_FILE} : règle {code} déclarée deux fois")
        out[code] = Regle(**{f: str(entry[f]).strip() for f in _FIELDS},
                          famille=str(familles[family]))
    return out


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Regle]:
    """The shipped catalogue (rules are part of the code: a project cannot override them)."""
    path = resources.packaged_dir("schemas") / CATALOGUE_FILE
    return load_rules(path.read_text(encoding="utf-8"))


def rule(code: str) -> Regle | None:
    """The declared rule ``code``, or None when it is not declared."""
    return catalogue().get(code)


def families() -> list[tuple[str, list[Regle]]]:
    """(family title, its rules) in the order of the catalogue."""
    grouped: dict[str, list[Regle]] = {}
    for regle in catalogue().values():
        grouped.setdefault(regle.famille, []).append(regle)
    return list(grouped.items())


def markdown() -> str:
    """The French reference of the controls (``docs/controles.md``), generated from the
    catalogue."""
    counts = {g: sum(r.gravite == g for r in catalogue().values()) for g in GRAVITES}
    lines = [
        "# Les contrôles",
        "",
        "<!-- Page générée par « iae-etat regles --markdown > docs/controles.md » depuis "
        "schemas/regles.yaml : ne pas la modifier à la main. -->",
        "",
        "## Contrôler sans construire : `iae-etat check`",
        "",
        "`iae-etat check` lit et contrôle toutes les sources du millésime comme le ferait "
        "`build`, sans rien écrire dans le projet. Il affiche le suivi de la collecte et chaque "
        "erreur avec son fichier, son onglet et sa cellule (`--verbose` affiche aussi les "
        "avertissements, `--json` un résumé complet). Il sort avec le code 1 dès qu'une erreur "
        "bloquante est trouvée, 2 si `iae-etat.toml` est invalide (chaque problème listé avec "
        "sa ligne), 0 sinon : pratique avant de lancer `build`, ou dans un script de dépôt.",
        "",
        "## Les fichiers de contrôle",
        "",
        "Chaque `build` (étape rapport) écrit dans `reports/<millésime>/controles/` :",
        "",
        "- `anomalies.csv` et `anomalies.xlsx` : une ligne par problème, avec les colonnes "
        "`fichier`, `feuille`, `cellule` (référence A1), `champ`, `valeur`, `regle`, `attendu`, "
        "`message`, `conseil`, `gravite` ;",
        "- `retours/<siret>.xlsx` : pour chaque structure dont le questionnaire a un problème, "
        "une copie de son classeur où chaque cellule en cause est colorée (rouge : erreur, "
        "orange : à vérifier) et commentée, avec un premier onglet « Anomalies » qui liste "
        "tout ; à renvoyer à la structure.",
        "",
        "Le rapport HTML et le résumé affiché en fin d'exécution donnent le **suivi de la "
        "collecte** : questionnaires reçus, retenus, écartés, remplacés par un envoi plus "
        "récent, SIAE sans questionnaire, et la liste des questionnaires à relancer pour erreur "
        "bloquante. Les contrôles de vraisemblance (règles `vraisemblance.…`) comparent les "
        "indicateurs de chaque département aux ordres de grandeur nationaux de la DARES : ce "
        "sont des avertissements à examiner avant de présenter le rapport, jamais des erreurs.",
        "",
        "## Les règles",
        "",
        "La gravité dit ce qui arrive à la donnée :",
        "",
        "- **erreur** : la donnée (ou le fichier) est écartée ; `iae-etat check` sort avec le "
        "code 1 ;",
        "- **avertissement** : la donnée est réparée sans ambiguïté, ou gardée mais à vérifier ;",
        "- **info** : simple constat (un fichier facultatif absent…).",
        "",
        f"Le catalogue compte {len(catalogue())} règles ({counts['erreur']} erreurs, "
        f"{counts['avertissement']} avertissements, {counts['info']} info). Les codes sont "
        "stables : on peut filtrer dessus d'une année à l'autre. `iae-etat regles` les liste "
        "dans le terminal (`iae-etat regles questionnaire` : une famille ; `--json` pour un "
        "script). Dans les messages, les mots entre accolades sont remplacés par les valeurs du "
        "cas rencontré.",
        "",
    ]
    for famille, regles in families():
        lines += [f"### {famille}", "", "| règle | gravité | titre | message | conseil |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| `{r.code}` | {r.gravite} | {_cell(r.titre)} | {_cell(r.message)} | "
                  f"{_cell(r.conseil)} |" for r in regles]
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")
