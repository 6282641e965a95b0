"""FluxIAE read chunk by chunk: the same frames and figures as a whole read, the same framing
quirks across block and chunk boundaries, absurd numbers recorded per line, endless lines
refused."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from iae_etat.sources import adapters, asp, fluxiae, readers
from tests.conftest import ROOT
from tests.sources.test_fluxiae import RULES, _frame

DEMO = ROOT / "data" / "raw" / "asp" / "2025"


def _stream(name, path, chunk_rows, millesime=2025):
    adapter = adapters.load_adapter(name)
    return list(fluxiae.stream(adapter, path, millesime, path.name, chunk_rows=chunk_rows))


@pytest.mark.slow
def test_demo_monthly_view_in_chunks_of_97_rows_and_blocks_of_64_bytes_equals_a_whole_read(
        monkeypatch):
    path = next(DEMO.glob("fluxIAE_EtatMensuelIndiv_*.csv.gz"))
    whole, problems = readers.read_source(adapters.load_adapter("asp_etats_mensuels"), path,
                                          2025, path.name)
    monkeypatch.setattr(fluxiae, "BLOCK_BYTES", 64)
    parts = _stream("asp_etats_mensuels", path, chunk_rows=97)
    assert len(parts) == -(-len(whole) // 97)  # ⌈rows / 97⌉ chunks, none empty
    assert all(len(frame) <= 97 for frame, _ in parts)
    joined = pd.concat([frame for frame, _ in parts], ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole)
    assert [p for _, found in parts for p in found] == problems == []


def test_framing_quirks_hold_across_block_and_chunk_boundaries(tmp_path, monkeypatch):
    text = ("\ufeffDEB|fluxIAE_Structure|X\r\n"
            "structure_id_siae|structure_siret_actualise|structure_denomination|"
            "structure_adresse_admin_cp|structure_adresse_admin_code_insee\r\n"
            "1|99999999900011|ATELIER DU VAL\r\n|26000|26362\r\n"
            '2|99999999800028|AI DES "ESSAIS|26100|6001\r'
            "3|99999999700035|TROP|DE|CHAMPS|ICI\n"
            "4|99999999600043|EI|26000|26362\n\n"
            "FIN|4\n\n")
    path = tmp_path / "fluxIAE_Structure_05012026_061500.csv.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    whole, problems = readers.read_source(adapters.load_adapter("asp_structures"), path, 2025,
                                          path.name)
    assert whole["denomination"].tolist() == ["ATELIER DU VAL", 'AI DES "ESSAIS', "EI"]
    assert whole["ligne_source"].tolist() == [3, 5, 7]
    assert [(p.regle, p.cellule) for p in problems] == [("source.champs_en_trop", "ligne 6")]
    for block in (1, 2, 3, 5, 17):  # every cut: inside \r\n, inside the BOM, inside a record
        monkeypatch.setattr(fluxiae, "BLOCK_BYTES", block)
        parts = _stream("asp_structures", path, chunk_rows=1)
        assert [len(frame) for frame, _ in parts] == [1, 1, 1]
        joined = pd.concat([frame for frame, _ in parts], ignore_index=True)
        assert joined["denomination"].tolist() == whole["denomination"].tolist()
        assert joined["ligne_source"].tolist() == [3, 5, 7]
        assert [(p.regle, p.cellule) for _, found in parts for p in found] == \
            [("source.champs_en_trop", "ligne 6")]


def test_an_endless_line_stops_the_reading_with_a_record_naming_the_file(tmp_path):
    path = tmp_path / "fluxIAE_EtatMensuelIndiv_05012026_061500.csv.gz"
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(b"emi_afi_id|emi_sme_mois\n")
        for _ in range(3):  # 3 MiB without a line end, beyond the 1 MiB of a record
            handle.write(b"0" * (1024 * 1024))
    parts = _stream("asp_etats_mensuels", path, chunk_rows=1000)
    assert parts[-1][0] is None  # the file is not read: no partial figures
    [problem] = parts[-1][1]
    assert (problem.fichier, problem.regle) == (path.name, "source.fichier_trop_gros")
    assert problem.cellule == "ligne 2"


def _case():
    structures = _frame("id_structure|siret|denomination|code_commune",
                        "1|11111111111111|ACI UN|26362", "2|22222222222222|AI DEUX|26281")
    af = _frame("id_af|numero_af|avenant|modification|etat|mesure|id_structure|date_debut|"
                "date_fin|etp_postes|montant_total|id_heures_etp",
                "11|ACI026250001|0|1|VALIDE|ACI_DC|1|01/07/2025|31/12/2025|12|267468|101",
                "20|AI026250002|0|0|CLOTURE|AI_DC|2|01/01/2024|30/06/2025|4|6036|101")
    emi = _frame("id_af|mois|annee|id_personne|id_contrat|heures|date_fin_reelle|"
                 "id_motif_sortie",
                 "11|7|2025|a|c1|100||", "11|8|2025|a|c1|100||",
                 "11|9|2025|a|c1|121.4|30/09/2025|1",
                 "11|7|2025|b|c2|100||", "11|8|2025|b|c2|100|31/08/2025|2",
                 "20|1|2025|c|c3|160|31/01/2025|3", "20|2|2025|d|c4|40|28/02/2025|2",
                 "20|12|2024|c|c3|80||", "20|1|2025|c|c3|10||")
    motifs = _frame("id_motif|libelle_motif|id_categorie", "1|CDI|11", "2|Chômage|14",
                    "3|Déménagement|15")
    categories = _frame("id_categorie|libelle_categorie", "11|Emploi durable",
                        "14|Autres sorties", "15|Retrait des sorties constatées")
    montants = _frame("id_montant|code_montant|valeur", "101|H|1607")
    return structures, af, emi, motifs, categories, montants


@pytest.mark.parametrize("size", [1, 2, 4])
def test_figures_of_monthly_rows_given_in_chunks_equal_those_of_the_whole_frame(size):
    structures, af, emi, motifs, categories, montants = _case()
    whole, problems = asp.indicators(structures, af, emi, None, None, motifs, categories,
                                     montants, 2025, RULES)
    chunks = (emi.iloc[i:i + size].reset_index(drop=True) for i in range(0, len(emi), size))
    chunked, found = asp.indicators(structures, af, chunks, None, None, motifs, categories,
                                    montants, 2025, RULES)
    pd.testing.assert_frame_equal(chunked, whole)
    assert found == problems == []
    ai = whole.set_index("type_siae").loc["AI"]
    # person c: 160 + 10 hours in 2025 (same month number twice, counted once), 80 in 2024
    assert ai["etp_realises"] == pytest.approx((160 + 10 + 40) / 1607)
    assert (ai["salaries_annee"], ai["sorties"], ai["sorties_retraits"]) == (2, 1, 1)
    aci = whole.set_index("type_siae").loc["ACI"]
    assert (aci["sorties"], aci["sorties_durables"]) == (1, 1)  # a: 3 months; b: 2 months


def test_absurd_asp_numbers_are_recorded_with_their_line_and_dropped():
    structures, af, emi, motifs, categories, montants = _case()
    emi.loc[0, "heures"] = "inf"          # line 2
    emi.loc[1, "heures"] = "1E308"        # line 3
    emi.loc[3, "heures"] = "#DIV/0!"      # line 5
    emi.loc[6, "heures"] = "NaN"          # line 8
    af.loc[0, "etp_postes"] = "-12"       # line 2 of the AF
    out, problems = asp.indicators(structures, af, [emi.iloc[:4], emi.iloc[4:]], None, None,
                                   motifs, categories, montants, 2025, RULES)
    found = sorted((p.cellule, p.champ, p.valeur, p.regle) for p in problems)
    assert found == [
        ("ligne 2", "etp_postes", "-12", "source.nombre_hors_limites"),
        ("ligne 2", "heures", "inf", "source.nombre_non_fini"),
        ("ligne 3", "heures", "1E308", "source.nombre_hors_limites"),
        ("ligne 5", "heures", "#DIV/0!", "source.nombre_invalide"),
        ("ligne 8", "heures", "NaN", "source.nombre_non_fini")]
    assert all(p.fichier == "f.csv" and p.message for p in problems)
    aci = out.set_index("type_siae").loc["ACI"]
    assert aci["etp_realises"] == pytest.approx((121.4 + 100) / 1607)  # the three dropped
    assert pd.isna(aci["etp_conventionnes"]) or aci["etp_conventionnes"] == 0
    ai = out.set_index("type_siae").loc["AI"]
    assert ai["etp_realises"] == pytest.approx((160 + 10) / 1607)  # d's NaN hours dropped
    assert all(pd.isna(v) or abs(v) < 1e6 for v in out.select_dtypes("number").to_numpy().ravel())


def test_plain_digits_converted_at_once_and_other_writings_one_by_one_agree():
    from iae_etat.sources import values

    cells = ["151", "121.4", "1 234,5", "0", "2000000000", "12.", None, "abc", "-3", "007"]
    frame = pd.DataFrame({"n": pd.array(cells, dtype="string"),
                          adapters.FILE_COLUMN: "f.csv",
                          adapters.LINE_COLUMN: range(2, 2 + len(cells))})
    out, problems = values.parse_numbers(frame, ["n"], "personnes")
    got = [None if pd.isna(v) else v for v in out["n"].tolist()]
    # 2·10⁹ people is beyond the 10⁹ of the unit; « abc » is not a number; -3 is negative
    assert got == [151, 121.4, 1234.5, 0, None, 12, None, None, None, 7]
    assert [(p.cellule, p.regle) for p in problems] == [
        ("ligne 9", "source.nombre_invalide"), ("ligne 6", "source.nombre_hors_limites"),
        ("ligne 10", "source.nombre_hors_limites")]  # cell i on line i + 2
