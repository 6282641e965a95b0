"""Fiches territoriales: the EPCI's figures beside its département's, its gaps and publics."""

from __future__ import annotations

import pandas as pd

from iae_etat.report.fiches import departement_of, fiches


def test_a_fiche_per_epci_with_its_departement_beside():
    ind = pd.DataFrame([
        ("epci", "2", "CC Zèbre", "nb_siae", "ensemble", "ensemble", 3, "publie", "structures"),
        ("epci", "1", "CC Érable", "nb_siae", "ensemble", "ensemble", 2, "publie", "structures"),
        ("epci", "1", "CC Érable", "nb_siae", "ACI", "ensemble", 2, "publie", "structures"),
        ("epci", "1", "CC Érable", "part_public_salaries", "ensemble", "rqth", 12.5, "publie",
         "%"),
        ("departement", "26", "Drôme", "nb_siae", "ensemble", "ensemble", 51, "publie",
         "structures")],
        columns=["niveau", "code", "libelle", "indicateur", "type_siae", "public", "valeur",
                 "statut", "unite"]).assign(diffusion="publique")
    couverture = pd.DataFrame([{"diffusion": "publique", "niveau": "epci", "code": "1",
                                "besoin": "de_abc", "indice_couverture": 0.734,
                                "couverture": "faible", "statut": "publie"}])
    ecarts = pd.DataFrame([{"diffusion": "publique", "niveau": "epci", "code": "1",
                            "statut": "publie", "ecart": 4.25, "unite": "ETP",
                            "libelle_mesure": "ETP manquants", "libelle_public": "Ensemble",
                            "libelle_besoin": "Demandeurs d'emploi A, B, C"},
                           {"diffusion": "publique", "niveau": "epci", "code": "1",
                            "statut": "publie", "ecart": -2.0, "unite": "ETP",
                            "libelle_mesure": "ETP manquants", "libelle_public": "Ensemble",
                            "libelle_besoin": "Foyers allocataires du RSA"}])
    out = fiches(ind, couverture, ecarts, {"1": "26", "2": "26"})
    assert [f["libelle"] for f in out] == ["CC Érable", "CC Zèbre"]  # French order
    erable = out[0]
    assert erable["chiffres"] == [{"code": "nb_siae", "libelle": "Nombre de SIAE",
                                   "territoire": "2", "departement": "51"}]
    assert erable["couverture"] == "0,73 (faible)"
    assert [s["nombre"] for s in erable["structures"]] == ["2", "0", "0", "0", "0"]
    assert erable["publics"] == [{"libelle": "Travailleurs handicapés (RQTH)",
                                  "cellules": ["12,5\u00a0%", "—", "—"]}]
    # only a shortage is listed (a negative gap is a surplus)
    assert [e["ecart"] for e in erable["ecarts"]] == ["4,2 ETP"]
    assert out[1]["couverture"] == "non disponible" and out[1]["ecarts"] == []


def test_departement_of_an_epci_holds_most_of_its_communes():
    niveaux = pd.DataFrame({"code_epci": ["1", "1", "1", "2"],
                            "code_departement": ["07", "26", "26", "26"]})
    assert departement_of(niveaux) == {"1": "26", "2": "26"}
