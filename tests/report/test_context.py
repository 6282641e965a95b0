"""Report context: a value that is not published is never drawn as a bar of 0; the
reconciliation of the sources shows a gap only between two published figures."""

from __future__ import annotations

import math

import pandas as pd

from iae_etat.report.context import by_type, reconciliation


def test_by_type_draws_published_values_only():
    rows = pd.DataFrame([("ACI", "etp_conventionnes", 12.5, "publie"),
                         ("AI", "etp_conventionnes", math.nan, "s"),
                         ("EI", "etp_conventionnes", math.nan, "nd"),
                         ("ensemble", "etp_conventionnes", 40.0, "publie")],
                        columns=["type_siae", "indicateur", "valeur", "statut"])
    out = by_type(rows)
    assert out["etp"] == [("ACI", 12.5)]
    assert out["absents"] == ["AI", "EI"]
    assert [line["cellules"][1] for line in out["lignes"]][:3] == ["12,5", "s", "nd"]


def test_reconciliation_puts_the_declared_figure_beside_the_figure_of_all_siae():
    def row(kind, indicator, value, statut="publie", unite="ETP"):
        return (kind, indicator, value, statut, unite)

    rows = pd.DataFrame([
        row("ACI", "nb_siae", 3, unite="structures"),
        row("ACI", "etp_conventionnes", 30.0), row("ACI", "etp_conventionnes_questionnaires", 22.5),
        row("ACI", "salaries_annee", 80, unite="personnes"),
        row("ACI", "salaries_annee_questionnaires", math.nan, "s", "personnes"),
        row("ACI", "taux_reponse_etp", 75.0, unite="%"),
        row("AI", "nb_siae", 1, unite="structures"), row("AI", "etp_conventionnes", 4.0)],
        columns=["type_siae", "indicateur", "valeur", "statut", "unite"])

    lines = {(r["indicateur"], r["type"]): r["cellules"] for r in reconciliation(rows)}
    # 30,0 ETP for all ACI, 22,5 declared by the respondents: 30,0 − 22,5 = 7,5
    assert lines[("ETP conventionnés", "ACI")] == ["30,0", "22,5", "7,5", "75,0\u00a0%"]
    # a secret declared figure hides the gap too (else 80 − gap would give it back)
    assert lines[("Salariés en insertion sur l'année", "ACI")] == ["80", "s", "s", "75,0\u00a0%"]
    # no declaration at all: not available, never a gap of the whole figure
    assert lines[("ETP conventionnés", "AI")] == ["4,0", "nd", "nd", "nd"]


def test_a_public_document_gives_the_questionnaires_as_one_line():
    from iae_etat.report.context import source_rows

    sources = pd.DataFrame({
        "source": ["france_travail", "questionnaires", "questionnaires"],
        "fichier": ["data/raw/france_travail/2025/de.csv",
                    "data/raw/questionnaires/2025/21236360824457.xlsx",
                    "data/raw/questionnaires/2025/44306184100015.xlsx"],
        "sha256": ["a" * 64, "b" * 64, "c" * 64], "titre": ["DE", "Réponses", "Réponses"]})
    public = source_rows(sources, nominatif=False)
    assert [r["fichier"] for r in public] == ["data/raw/france_travail/2025/de.csv",
                                              "2 fichier(s) de data/raw/questionnaires/2025/"]
    assert "21236360824457" not in str(public)
    assert len(source_rows(sources, nominatif=True)) == 3
