"""The rule catalogue (schemas/regles.yaml): every code used by the package is declared with its
gravité, Probleme takes the catalogue's defaults, docs/controles.md is the generated page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from iae_etat.common import rules
from iae_etat.common.errors import Probleme

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "iae_etat"
CODE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
GRAVITE_NAMES = {"GRAVITE_ERREUR": "erreur", "GRAVITE_AVERTISSEMENT": "avertissement",
                 "GRAVITE_INFO": "info"}


def _gravite(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and node.value in rules.GRAVITES:
        return node.value
    name = node.id if isinstance(node, ast.Name) else \
        node.attr if isinstance(node, ast.Attribute) else ""
    return GRAVITE_NAMES.get(name)


def _pattern(node: ast.JoinedStr) -> re.Pattern:
    """An f-string rule code as a regular expression (each ``{…}`` a code segment)."""
    parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+"
             for v in node.values]
    return re.compile("^" + "".join(parts) + "$")


def uses(source: str, families: set[str]) -> tuple[list, list]:
    """(literal uses, f-string uses) of rule codes in ``source``.

    A literal use is ``(code, gravité or None, line)``: any string constant shaped like a code
    whose family is a rule family, or the ``regle=`` argument of a call; the gravité is the one
    the same call passes (``gravite=`` or a positional ``"avertissement"``/``GRAVITE_…``). An
    f-string use is ``(pattern, line)`` for ``regle=f"…"``."""
    literal, dynamic = [], []
    tree = ast.parse(source)
    seen = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)
            for part in node.values}  # the text pieces of f-strings are not codes
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        values = [*node.args, *(k.value for k in node.keywords)]
        gravites = {g for g in map(_gravite, values) if g}
        gravite = gravites.pop() if len(gravites) == 1 else None
        for keyword in node.keywords:
            if keyword.arg == "regle" and isinstance(keyword.value, ast.JoinedStr):
                dynamic.append((_pattern(keyword.value), node.lineno))
            elif keyword.arg == "regle" and isinstance(keyword.value, ast.Constant) \
                    and isinstance(keyword.value.value, str):  # whatever its family
                literal.append((keyword.value.value, gravite, node.lineno))
                seen.add(id(keyword.value))
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str) \
                    and CODE.match(value.value) and value.value.split(".")[0] in families:
                literal.append((value.value, gravite, node.lineno))
                seen.add(id(value))
    for node in ast.walk(tree):  # codes outside calls: constants, dictionaries
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in seen \
                and CODE.match(node.value) and node.value.split(".")[0] in families:
            literal.append((node.value, None, node.lineno))
    return literal, dynamic


def _families() -> set[str]:
    return {code.split(".")[0] for code in rules.catalogue()}


def test_every_rule_code_of_the_package_is_declared_with_its_gravite():
    declared = rules.catalogue()
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        literal, dynamic = uses(path.read_text("utf-8"), _families())
        where = path.relative_to(ROOT)
        for code, gravite, line in literal:
            if code not in declared:
                wrong.append(f"{where}:{line}: « {code} » absent de schemas/regles.yaml")
            elif gravite and gravite != declared[code].gravite:
                wrong.append(f"{where}:{line}: « {code} » utilisé en {gravite}, déclaré en "
                             f"{declared[code].gravite}")
        for pattern, line in dynamic:
            if not any(pattern.match(code) for code in declared):
                wrong.append(f"{where}:{line}: aucune règle déclarée ne correspond à "
                             f"{pattern.pattern}")
    assert not wrong, "Déclarez ces règles dans schemas/regles.yaml :\n" + "\n".join(wrong)


def test_the_scan_sees_undeclared_codes_wrong_gravites_and_dynamic_codes():
    source = (
        'from x import GRAVITE_AVERTISSEMENT\n'
        'Probleme(fichier="f", regle="questionnaire.inventee", message="m")\n'
        'Probleme(fichier="f", regle="questionnaire.nombre_invalide", message="m",\n'
        '         gravite=GRAVITE_AVERTISSEMENT)\n'
        'problem("questionnaire.espaces_retires", "m", gravite="avertissement")\n'
        'Probleme(fichier="f", regle=f"vraisemblance.{champ}", message="m")\n'
        'RULE = "source.nombre_invalide"\n'
        'open("styles.css")\n')
    literal, dynamic = uses(source, {"questionnaire", "source", "vraisemblance"})
    assert ("questionnaire.inventee", None, 2) in literal
    assert ("questionnaire.nombre_invalide", "avertissement", 3) in literal
    assert ("questionnaire.espaces_retires", "avertissement", 5) in literal
    assert ("source.nombre_invalide", None, 7) in literal
    assert not any(code == "styles.css" for code, _, _ in literal)
    assert [p.pattern for p, _ in dynamic] == [r"^vraisemblance\.[a-z0-9_]+$"]
    assert dynamic[0][0].match("vraisemblance.taux_reponse")


def test_the_codes_built_from_tables_of_the_package_are_declared():
    from iae_etat.sources.adapters import CODE_NORMALISERS
    from iae_etat.sources.reconciliation import FIGURES

    declared = rules.catalogue()
    assert {f"rapprochement.{f}" for f in FIGURES} <= set(declared)
    assert {f"source.code_{kind}_invalide" for kind in CODE_NORMALISERS} <= set(declared)


def test_probleme_takes_gravite_and_conseil_from_the_catalogue():
    declared = rules.rule("questionnaire.espaces_retires")
    p = Probleme(fichier="f.xlsx", regle="questionnaire.espaces_retires", message="m")
    assert (p.gravite, p.conseil) == ("avertissement", declared.conseil)
    assert not p.bloquant
    given = Probleme(fichier="f", regle="questionnaire.espaces_retires", message="m",
                     conseil="Autre conseil.", gravite="erreur")
    assert (given.gravite, given.conseil) == ("erreur", "Autre conseil.")
    unknown = Probleme(fichier="f", regle="essai.inconnue", message="m")
    assert (unknown.gravite, unknown.conseil) == ("erreur", "")


def test_catalogue_rejects_unknown_keys_duplicates_and_gravites():
    head = "familles: {a: Famille A}\nregles:\n"
    entry = "  - {code: a.x, gravite: %s, titre: T, message: M, conseil: C%s}\n"
    assert rules.load_rules(head + entry % ("erreur", ""))["a.x"].famille == "Famille A"
    with pytest.raises(ValueError, match="gravité"):
        rules.load_rules(head + entry % ("grave", ""))
    with pytest.raises(ValueError, match="inconnues"):
        rules.load_rules(head + entry % ("erreur", ", gravité: erreur"))
    with pytest.raises(ValueError, match="deux fois"):
        rules.load_rules(head + entry % ("erreur", "") * 2)
    with pytest.raises(ValueError, match="famille"):
        rules.load_rules(head + entry.replace("a.x", "b.x") % ("erreur", ""))


def test_message_templates_format_with_their_placeholders():
    regle = rules.rule("questionnaire.nombre_invalide")
    assert regle.placeholders == ("question", "valeur")
    assert regle.formatted(question="Salariés", valeur="douze") == \
        "Salariés : « douze » n'est pas un nombre."


def test_docs_controles_is_the_generated_reference():
    committed = (ROOT / "docs" / "controles.md").read_text("utf-8")
    assert committed == rules.markdown(), \
        "docs/controles.md est périmé : iae-etat regles --markdown > docs/controles.md"
    assert "`questionnaire.nombre_invalide` | erreur |" in committed
