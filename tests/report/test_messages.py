"""Messages clés: one rule per sentence, each with its figure and territory, never from missing
data (hand-made rows; the arithmetic is written in the test)."""

from __future__ import annotations

import math

import pandas as pd

from iae_etat.report import messages

NAN = math.nan
NNBSP = "\u202f"


def _ind(rows: list[tuple]) -> pd.DataFrame:
    """(niveau, code, libelle, indicateur, type_siae, public, valeur, statut) → rows."""
    return pd.DataFrame(rows, columns=["niveau", "code", "libelle", "indicateur", "type_siae",
                                       "public", "valeur", "statut"]).assign(
        diffusion="publique", unite="")


def _couv(rows: list[tuple]) -> pd.DataFrame:
    """(niveau, code, libelle, valeur_besoin, taux, indice, couverture, zone_blanche, statut)."""
    return pd.DataFrame(rows, columns=["niveau", "code", "libelle", "valeur_besoin",
                                       "taux_equipement", "indice_couverture", "couverture",
                                       "zone_blanche", "statut"]).assign(
        diffusion="publique", besoin="de_abc")


def _ecarts(rows: list[tuple]) -> pd.DataFrame:
    """(code, libelle, mesure, public, offre, cible, ecart, rang)."""
    return pd.DataFrame(rows, columns=["code", "libelle", "mesure", "public", "offre", "cible",
                                       "ecart", "rang"]).assign(
        diffusion="publique", niveau="epci", besoin="de_abc", statut="publie")


def _plain(text: str) -> str:
    return text.replace(NNBSP, " ").replace("\u00a0", " ")


def test_offre_gives_siae_etp_and_rate_of_the_departement():
    rows = _ind([("departement", "26", "Drôme", "nb_siae", "ensemble", "ensemble", 51, "publie"),
                 ("departement", "26", "Drôme", "etp_conventionnes", "ensemble", "ensemble",
                  977.0, "publie"),
                 # 977 ETP / 35 319 DE × 1 000 = 27,66 → 27,7
                 ("departement", "26", "Drôme", "taux_equipement_etp_de_abc", "ensemble",
                  "ensemble", 977.0 / 35319 * 1000, "publie")])
    m = messages.offre(rows, "26", "Drôme")
    assert m["disponible"]
    assert _plain(m["texte"]) == ("Drôme compte 51 SIAE pour 977,0 ETP conventionnés, soit 27,7 "
                                  "ETP pour 1 000 demandeurs d'emploi A, B, C.")


def test_offre_without_the_need_says_the_rate_is_not_available():
    rows = _ind([("departement", "26", "Drôme", "nb_siae", "ensemble", "ensemble", 3, "publie"),
                 ("departement", "26", "Drôme", "taux_equipement_etp_de_abc", "ensemble",
                  "ensemble", NAN, "nd")])
    texte = messages.offre(rows, "26", "Drôme")["texte"]
    assert "n'est pas disponible" in texte and "pour 1 000" not in texte


def test_couverture_names_the_lowest_and_highest_indice():
    table = _couv([("epci", "1", "CC Haute", 100, 40.0, 0.15, "très bonne", False, "publie"),
                   ("epci", "2", "CC Basse", 100, 5.0, 0.85, "très faible", False, "publie"),
                   ("epci", "3", "CC Milieu", 100, 20.0, 0.5, "intermédiaire", False, "publie"),
                   # secret: never the best nor the worst
                   ("epci", "4", "CC Secrète", 100, NAN, 0.95, "", False, "s")])
    texte = messages.couverture(table)["texte"]
    assert "le mieux couvert est CC Haute (indice de couverture 0,15" in texte
    assert "le moins bien couvert est CC Basse (0,85, couverture très faible, 5,0" in texte
    assert "Secrète" not in texte


def test_couverture_needs_two_published_territories():
    table = _couv([("epci", "1", "CC Seule", 100, 40.0, 0.15, "très bonne", False, "publie")])
    m = messages.couverture(table)
    assert not m["disponible"] and "non disponible" in m["texte"]


def test_zones_blanches_without_commune_needs_is_not_available_not_zero():
    """No France Travail file: no sentence saying there is no zone blanche."""
    table = _couv([("commune", "26001", "Albon", NAN, NAN, NAN, "", False, "nd"),
                   ("commune", "26002", "Alixan", NAN, NAN, NAN, "", False, "nd")])
    m = messages.zones_blanches(table)
    assert not m["disponible"]
    assert "non disponible" in m["texte"] and "Aucune" not in m["texte"]


def test_zones_blanches_counts_and_names_the_largest_need():
    table = _couv([("commune", "26001", "Albon", 120, NAN, NAN, "", True, "publie"),
                   ("commune", "26002", "Alixan", 340, NAN, NAN, "", True, "publie"),
                   ("commune", "26003", "Allan", 900, 3.0, 0.3, "bonne", False, "publie")])
    assert _plain(messages.zones_blanches(table)["texte"]).startswith(
        "2 commune(s) sans SIAE atteignent le seuil de besoin (zones blanches) ; la plus "
        "importante est Alixan avec 340 demandeurs")
    none = table.assign(zone_blanche=False)
    assert messages.zones_blanches(none)["texte"].startswith("Aucune commune sans SIAE")


def test_etp_manquants_takes_rank_one():
    ecarts = _ecarts([("1", "CC Un", "etp_manquants", "ensemble", 10.0, 30.0, 20.0, 1),
                      ("2", "CC Deux", "etp_manquants", "ensemble", 10.0, 15.0, 5.0, 2)])
    texte = messages.etp_manquants(ecarts)["texte"]
    assert "dans CC Un" in texte and "20,0 ETP (10,0 conventionnés pour une cible de 30,0)" \
        in texte
    assert not messages.etp_manquants(ecarts.iloc[:0])["disponible"]


def test_publics_most_negative_gap_and_where():
    rows = _ind([("departement", "26", "Drôme", "ecart_representativite", "ensemble", "rqth",
                  -2.0, "publie"),
                 ("departement", "26", "Drôme", "ecart_representativite", "ensemble",
                  "50_plus", -7.5, "publie"),
                 ("departement", "26", "Drôme", "ecart_representativite", "ensemble",
                  "moins_26", 4.0, "publie")])
    ecarts = _ecarts([("1", "CC Un", "salaries_manquants", "50_plus", 3.0, 9.0, 6.0, 2),
                      ("2", "CC Deux", "salaries_manquants", "50_plus", 1.0, 12.0, 11.0, 1),
                      ("3", "CC Trois", "salaries_manquants", "rqth", 1.0, 40.0, 39.0, 1)])
    texte = _plain(messages.publics(rows, ecarts, "26")["texte"])
    assert "« Seniors de 50 ans et plus » : 7,5 points de moins" in texte
    assert "l'écart le plus grand est dans CC Deux (11,0 salariés manquants)" in texte
    assert "50_plus" not in texte


def test_publics_without_negative_gap_is_not_available():
    rows = _ind([("departement", "26", "Drôme", "ecart_representativite", "ensemble", "rqth",
                  NAN, "s")])
    assert not messages.publics(rows, _ecarts([]), "26")["disponible"]


def test_evolution_has_its_figure_and_the_caveat():
    table = pd.DataFrame([{"diffusion": "publique", "niveau": "departement", "code": "26",
                           "type_siae": "ensemble", "public": "ensemble",
                           "indicateur": "etp_conventionnes", "statut": "publie",
                           "millesime_reference": 2024, "valeur_reference": 800.0,
                           "valeur": 900.0, "ecart": 100.0, "ecart_pct": 12.5}])
    texte = _plain(messages.evolution(table, "26", 2025)["texte"])
    # (900 − 800) / 800 = 12,5 %
    assert "augmentent : 800,0 en 2024, 900,0 en 2025 (+12,5 %)" in texte
    assert "prudence" in texte
    assert not messages.evolution(table.iloc[:0], "26", 2025)["disponible"]


def test_reponse_with_and_without_the_asp():
    rows = _ind([("departement", "26", "Drôme", "taux_reponse", "ensemble", "ensemble", 86.3,
                  "publie"),
                 ("departement", "26", "Drôme", "taux_reponse_etp", "ensemble", "ensemble",
                  86.6, "publie")])  # 86,3 → 86 % and 86,6 → 87 %
    assert _plain(messages.reponse(rows, "26")["texte"]) == (
        "86 % des SIAE ont répondu au questionnaire, représentant 87 % des ETP conventionnés.")
    low = _ind([("departement", "26", "Drôme", "taux_reponse", "ensemble", "ensemble", 50.0,
                 "publie")])
    texte = messages.reponse(low, "26")["texte"]
    assert "sans les données de l'ASP" in texte and "sous-estiment" in texte


def test_messages_cles_in_order_and_five_to_eight():
    empty_ind = _ind([])
    out = messages.messages_cles(empty_ind, _couv([]), _ecarts([]),
                                 pd.DataFrame(columns=["diffusion", "niveau", "code", "type_siae",
                                                       "public", "indicateur", "statut",
                                                       "valeur_reference"]),
                                 "26", "Drôme", 2025)
    assert [m["regle"] for m in out] == ["offre", "couverture", "etp", "zones", "publics",
                                         "evolution", "reponse"]
    assert 5 <= len(out) <= 8
    assert all(not m["disponible"] and "non disponible" in m["texte"] for m in out)


def test_each_departement_speaks_of_its_own_epci_and_communes():
    """Two départements: the best and least covered EPCI of each are among its own; an EPCI
    across both speaks in both."""
    niveaux = pd.DataFrame({"code_commune": ["26001", "26002", "07001", "07002"],
                            "code_epci": ["A", "C", "B", "C"],
                            "code_departement": ["26", "26", "07", "07"]})
    table = _couv([("epci", "A", "CC A", 100, 10.0, 0.3, "bonne", False, "publie"),
                   ("epci", "B", "CC B", 100, 20.0, 0.2, "très bonne", False, "publie"),
                   ("epci", "C", "CC C", 100, 5.0, 0.7, "faible", False, "publie"),
                   ("commune", "07002", "Lieu", 300, NAN, NAN, "", True, "publie"),
                   ("departement", "26", "Drôme", 200, 8.0, 0.5, "", False, "publie")])
    scoped = messages.by_departement(table, niveaux)
    assert sorted(scoped) == ["07", "26"]
    assert scoped["26"]["code"].tolist() == ["A", "C", "26"]
    assert scoped["07"]["code"].tolist() == ["B", "C", "07002"]
    assert "le mieux couvert est CC A" in _plain(messages.couverture(scoped["26"])["texte"])
    assert "le mieux couvert est CC B" in _plain(messages.couverture(scoped["07"])["texte"])
    assert not messages.zones_blanches(scoped["26"])["disponible"]
    assert "Lieu" in messages.zones_blanches(scoped["07"])["texte"]


def test_no_row_about_any_departement_gives_no_split():
    niveaux = pd.DataFrame({"code_commune": ["26001"], "code_epci": ["A"],
                            "code_departement": ["26"]})
    assert messages.by_departement(_couv([]), niveaux) == {}
