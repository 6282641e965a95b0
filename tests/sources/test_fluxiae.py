"""ASP exports: FluxIAE framing, personal columns, official ETP and sorties rules, bilan."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from iae_etat.sources import adapters, asp, readers
from iae_etat.sources.reconciliation import reconcile
from tests.conftest import ROOT

EXAMPLES = ROOT.parent / "shared" / "formats" / "examples"


def _read(name: str, path: Path, millesime: int = 2025):
    return readers.read_source(adapters.load_adapter(name), path, millesime, path.name)


def test_fluxiae_framing_bom_deb_fin_line_breaks_quotes_and_gzip(tmp_path):
    text = ("\ufeffDEB|fluxIAE_Structure|X\n"
            "structure_id_siae|structure_siret_actualise|structure_denomination|"
            "structure_adresse_admin_cp|structure_adresse_admin_code_insee|"
            "structure_adresse_gestion_telephone\n"
            "1|99999999900011|ATELIER DU VAL\n|26000|26362|0100000000\n"
            '2|99999999800028|AI DES "ESSAIS|26100|6001|\n'
            "3|99999999700035|TROP|DE|CHAMPS|ICI|X\n"
            "FIN|3\n")
    path = tmp_path / "fluxIAE_Structure_05012026_061500.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    frame, problems = _read("asp_structures", path)
    assert frame["denomination"].tolist() == ["ATELIER DU VAL", 'AI DES "ESSAIS']
    assert frame["ligne_source"].tolist() == [3, 5]
    assert frame["code_commune"].tolist() == ["26362", "06001"]  # lost leading zero restored
    assert "telephone" not in " ".join(frame.columns)
    assert [(p.regle, p.cellule) for p in problems] == [("source.champs_en_trop", "ligne 6")]


def test_personal_columns_are_dropped_and_ids_pseudonymised(tmp_path):
    path = tmp_path / "fluxIAE_Salarie_05012026_061500.csv"
    path.write_text("salarie_id|salarie_rci_libelle|salarie_nir|salarie_nom_usage|salarie_prenom|"
                    "salarie_date_naissance|salarie_adr_libelle_voie|salarie_adr_qpv_type|"
                    "salarie_adr_is_zrr\n"
                    "8000001|MME|285072636212345|Barovelfictif|Aline|14/07/1985|Rue X|QP|false\n",
                    "utf-8")
    frame, problems = _read("asp_salaries", path)
    assert not problems
    row = frame.iloc[0].astype(str).tolist()
    assert frame.at[0, "annee_naissance"] == "1985"
    assert frame.at[0, "id_personne"] != "8000001" and len(frame.at[0, "id_personne"]) == 16
    for secret in ("285072636212345", "Barovelfictif", "Aline", "14/07/1985", "Rue X"):
        assert secret not in row


def test_a_personal_column_cannot_be_mapped(tmp_path):
    text = (ROOT / "pipelines" / "asp_salaries.yaml").read_text("utf-8")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "asp_salaries.yaml").write_text(
        text.replace("civilite: salarie_rci_libelle", "civilite: salarie_nir"), "utf-8")
    from iae_etat.common.errors import ConfigError

    with pytest.raises(ConfigError, match="données personnelles"):
        adapters.load_adapter("asp_salaries", tmp_path)


def test_renamed_fluxiae_column_is_one_line_of_yaml(tmp_path):
    source = ROOT / "pipelines" / "asp_etats_mensuels.yaml"
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / source.name).write_text(source.read_text("utf-8").replace(
        "millesimes: {}", "millesimes:\n  2026: {heures: emi_nb_heures_travaillees}"), "utf-8")
    path = tmp_path / "fluxIAE_EtatMensuelIndiv_05012027_061500.csv"
    path.write_text("DEB\nemi_afi_id|emi_sme_mois|emi_sme_annee|emi_pph_id|emi_ctr_id|"
                    "emi_nb_heures_travaillees|emi_date_fin_reelle|emi_motif_sortie_id\n"
                    "7|1|2026|8|9|151||\nFIN|1\n", "utf-8")
    adapter = adapters.load_adapter("asp_etats_mensuels", tmp_path)
    frame, problems = readers.read_source(adapter, path, 2026, path.name)
    assert not problems and frame.at[0, "heures"] == "151"
    _, problems = readers.read_source(adapter, path, 2025, path.name)
    assert problems[0].regle == "source.colonne_absente"
    assert "emi_nb_heures_travaillees" in problems[0].message


RULES = {"etats_retenus": ["VALIDE", "PROVISOIRE", "CLOTURE"],
         "parcours_minimum": {"ACI": {"mois": 3}, "EI": {"mois": 3}, "AI": {"heures": 150},
                              "ETTI": {"heures": 150}, "EITI": {"heures": 1}},
         "categories": {"sorties_durables": "Emploi durable",
                        "sorties_transition": "Emploi de transition",
                        "sorties_positives": "Sorties positives",
                        "sorties_autres": "Autres sorties",
                        "sorties_retraits": "Retrait des sorties constatées"},
         "valeurs_femme": ["MME"], "valeurs_vrai": ["true", "QP"],
         "valeurs_rsa": ["OUI-M", "OUI-NM"]}


def _frame(columns: str, *rows: str) -> pd.DataFrame:
    data = pd.DataFrame([r.split("|") for r in rows], columns=columns.split("|"), dtype="string")
    data = data.mask(data == "")
    data["fichier_source"], data["ligne_source"] = "f.csv", range(2, 2 + len(data))
    return data


def test_etp_salaries_and_sorties_follow_the_official_rules():
    structures = _frame("id_structure|siret|denomination|code_commune",
                        "1|11111111111111|ACI UN|26362", "2|22222222222222|AI DEUX|26281")
    af = _frame("id_af|numero_af|avenant|modification|etat|mesure|id_structure|date_debut|"
                "date_fin|etp_postes|montant_total|id_heures_etp",
                # ACI: a superseded modification (ignored), the latest one from July: 12 × 6/12
                "10|ACI026250001|0|0|VALIDE|ACI_DC|1|01/07/2025|31/12/2025|20||101",
                "11|ACI026250001|0|1|VALIDE|ACI_DC|1|01/07/2025|31/12/2025|12|267468|101",
                "12|ACI026250009|0|0|SAISI|ACI_DC|1|01/01/2025|31/12/2025|50||101",
                "20|AI026250002|0|0|CLOTURE|AI_DC|2|01/01/2024|30/06/2025|4|6036|101")
    emi = _frame("id_af|mois|annee|id_personne|id_contrat|heures|date_fin_reelle|"
                 "id_motif_sortie",
                 # ACI person a: 3 months then a durable exit; person b: 2 months, not counted
                 "11|7|2025|a|c1|100||", "11|8|2025|a|c1|100||",
                 "11|9|2025|a|c1|121.4|30/09/2025|1",
                 "11|7|2025|b|c2|100||", "11|8|2025|b|c2|100|31/08/2025|2",
                 # AI person c: 160 hours then a retrait; person d: 40 hours, not counted
                 "20|1|2025|c|c3|160|31/01/2025|3", "20|2|2025|d|c4|40|28/02/2025|2",
                 "20|12|2024|c|c3|80||")
    motifs = _frame("id_motif|libelle_motif|id_categorie", "1|CDI|11", "2|Chômage|14",
                    "3|Déménagement|15")
    categories = _frame("id_categorie|libelle_categorie", "11|Emploi durable",
                        "14|Autres sorties", "15|Retrait des sorties constatées")
    montants = _frame("id_montant|code_montant|valeur", "101|H|1607")
    salaries = _frame("id_personne|civilite|annee_naissance|qpv|zrr", "a|MME|2003|QP|false",
                      "b|M.|1970||false", "c|MME|1960||true", "d|M.|1990||false")
    contrats = _frame("id_contrat|id_personne|rsa|rqth", "c1|a|OUI-NM|false",
                      "c2|b|NON|true", "c3|c|NON|false", "c4|d|OUI-M|false")
    out, problems = asp.indicators(structures, af, emi, salaries, contrats, motifs, categories,
                                   montants, 2025, RULES)
    assert not problems
    aci = out.set_index("type_siae").loc["ACI"]
    assert aci["etp_conventionnes"] == pytest.approx(6.0)          # 12 postes × 6 / 12
    assert aci["etp_realises"] == pytest.approx(521.4 / 1607)
    assert aci["salaries_annee"] == 2
    assert (aci["femmes"], aci["hommes"], aci["age_moins_26"], aci["age_50_plus"]) == \
        (1, 1, 1, 1)
    assert (aci["brsa"], aci["rqth"], aci["residents_qpv"]) == (1, 1, 1)
    assert (aci["sorties"], aci["sorties_durables"], aci["sorties_autres"]) == (1, 1, 0)
    ai = out.set_index("type_siae").loc["AI"]
    assert ai["etp_conventionnes"] == pytest.approx(2.0)            # 4 postes × 6 / 12
    assert (ai["sorties"], ai["sorties_retraits"], ai["sorties_autres"]) == (1, 1, 0)
    assert ai["residents_frr"] == 1
    assert aci["aide_au_poste"] == pytest.approx(133_734)           # 267 468 € × 6 / 12
    assert ai["aide_au_poste"] == pytest.approx(3_018)              # 6 036 € × 6 / 12


def test_unknown_hours_of_an_etp_leave_etp_realises_missing():
    structures = _frame("id_structure|siret|denomination|code_commune",
                        "1|11111111111111|ACI UN|26362")
    af = _frame("id_af|numero_af|avenant|modification|etat|mesure|id_structure|date_debut|"
                "date_fin|etp_postes|montant_total|id_heures_etp",
                "10|ACI026250001|0|0|VALIDE|ACI_DC|1|01/01/2025|31/12/2025|2||999")
    emi = _frame("id_af|mois|annee|id_personne|id_contrat|heures|date_fin_reelle|"
                 "id_motif_sortie", "10|1|2025|a|c|100||")
    montants = _frame("id_montant|code_montant|valeur", "101|H|1607")
    out, problems = asp.indicators(structures, af, emi, None, None, None, None, montants,
                                   2025, RULES)
    assert pd.isna(out.at[0, "etp_realises"]) and out.at[0, "etp_conventionnes"] == 2
    assert pd.isna(out.at[0, "aide_au_poste"])                      # no amount in the annex
    assert [p.regle for p in problems] == ["asp.heures_etp_inconnues"]


def test_bilan_headers_are_matched_despite_spaces_and_truncation(tmp_path):
    header = ("Année;Mesure;0 - Numéro de l'annexe / avenant;0 - SIRET  ;0 - Dénomination;"
              "2 - Nombre total des salariés en insertion ayant travaillé da;2 - Dont hommes ;"
              "2 - Dont femmes ;2 - Dont bénéficiaires du RSA ;2 - Dont bénéficiaires de l'ASS ;"
              "2 - Dont bénéficiaires de l'AAH ;2 - Dont nombre de personnes reconnues RQTH :;"
              "2 - Dont résidants en ZRR ;2 - Dont résidants en QPV ;"
              "2 - Dont jeunes de moins de 26 ans :;"
              "2 - Dont personnes sans emploi de 50 ans et plus :;"
              "2 - Dont inscrits à Pôle emploi depuis 12 à 23 mois :;"
              "2 - Dont inscrits à Pôle emploi depuis 24 mois et plus:;"
              "4 - Total des sorties examinées AI ETTI EITI;"
              "5 - Total des sorties dans l'emploi durable;"
              "6 - Total des sorties dans l'emploi de transition;7 - Total des sorties positives\n")
    path = tmp_path / "DataON_2025.csv"
    path.write_text(header + "2025;AI;AI 026 25 0003 A0 M0;99999999700035;AI;57;30;27;20;3;2;"
                    "4;6;1;8;12;15;9;11;14;22;19\n"
                    "2025;AI;AI 026 25 0003 A1 M0;99999999700035;AI;3;1;2;1;0;0;0;0;0;0;0;0;0;"
                    "1;1;0;0\n", "utf-8")
    frame, problems = _read("asp_bilan", path)
    assert not problems
    bilan, _ = asp.bilan_by_structure(frame, 2025)
    assert bilan.at[0, "salaries_annee"] == 60 and bilan.at[0, "sorties_durables"] == 15


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/formats/examples absent")
def test_the_published_examples_are_read_without_problems():
    for name, pattern in (("asp_structures", "fluxIAE_Structure_*"),
                          ("asp_annexes_financieres", "fluxIAE_AnnexeFinanciere_*"),
                          ("asp_etats_mensuels", "fluxIAE_EtatMensuelIndiv_*"),
                          ("asp_salaries", "fluxIAE_Salarie_*"),
                          ("asp_contrats", "fluxIAE_ContratMission_*"),
                          ("asp_motifs_sortie", "fluxIAE_RefMotifSort_*"),
                          ("asp_categories_sortie", "fluxIAE_RefCategorieSort_*"),
                          ("asp_bilan", "DataON_bilan_headers.csv"),
                          ("frr", "frr_communes.csv"), ("qpv", "qpv2024_liste.csv"),
                          ("caf", "RSA_Com_2023.csv")):
        path = next(EXAMPLES.glob(pattern))
        frame, problems = _read(name, path)
        assert not problems, (name, [p.message for p in problems])
        assert len(frame) >= 2, name
    structure, _ = _read("asp_structures", next(EXAMPLES.glob("fluxIAE_Structure_*")))
    assert structure["denomination"].tolist()[1:] == ["ENTREPRISE D'INSERTION EXEMPLE",
                                                      'AI DES "ESSAIS']


def test_reconciliation_reports_differences_beyond_the_tolerance():
    asp_figures = pd.DataFrame({"siret": ["1", "2"], "type_siae": ["ACI", "AI"],
                                "etp_realises": [10.0, 20.0], "salaries_annee": [30, 40]})
    answers = pd.DataFrame({"siret": ["1", "2"], "type_siae": ["ACI", "AI"],
                            "etp_realises": [10.5, 30.0], "salaries_annee": [30, None]})
    problems = reconcile(asp_figures, answers, "l'ASP")
    assert [(p.fichier, p.regle, p.valeur, p.attendu) for p in problems] == [
        ("questionnaire 2 AI", "rapprochement.etp_realises", "30", "20")]
