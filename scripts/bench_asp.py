"""The ASP part of the benchmark: a national synthetic FluxIAE extract, read and computed.

``write_extract`` writes, deterministically (fixed seed), the FluxIAE views of all France: 4,500
SIAE (every kind), their annexes financières of two years, 200,000 salariés with their contracts
and a ``EtatMensuelIndiv`` of more than 2 million rows (a row per person and month worked, the
31 columns of the real view, gzipped), the referentials of the demo. ``measure`` reads and
computes it in a child process (``--calcul``: the views read as ``iae-etat build`` reads them,
the monthly view streamed, then ``asp.indicators``) and reports its wall time and peak memory.

Usage: ``python scripts/bench.py --partie asp`` (or ``python scripts/bench_asp.py DIR`` to write
and measure once, ``--entier`` to read the monthly view whole as before streaming).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
MILLESIME = 2025
SIAE = 4_500
PEOPLE = 200_000
STAMP = "05012026_061500"
KINDS = ["ACI"] * 9 + ["AI"] * 4 + ["EI"] * 4 + ["ETTI"] * 2 + ["EITI"]
EMI_HEADER = ("emi_date_creation|emi_date_modification|emi_afi_id|emi_sme_mois|emi_sme_annee|"
              "emi_esm_etat_id|emi_esm_etat_code|emi_sme_version|emi_date_validation|emi_pph_id|"
              "emi_ctr_id|emi_nb_heures_travail|emi_nb_mission|emi_nb_heures_facturees|"
              "emi_mt_salaire_brut|emi_salarie_tjs_accomp|emi_part_etp|emi_date_fin_reelle|"
              "emi_motif_sortie_id|emi_motif_sortie_code|emi_dsm_id|emi_coefficient_degressive|"
              "emi_dsm_ca_reel|emi_dsm_ca_lisse|emi_dsm_rdv_phy|emi_dsm_rdv_dis|emi_dsm_rdv_com|"
              "emi_dsm_rdv_soc|emi_dsm_acre|emi_dsm_nb_rdv_mens_ti|emi_dsm_nb_mois")
REFERENTIALS = ("RefMontantIae", "RefMotifSort", "RefCategorieSort", "RefDureePoleEmploi")


def _view(folder: Path, view: str, header: str, lines, compress: bool = False) -> int:
    """Write one view with its DEB and FIN lines; returns its number of rows."""
    path = folder / f"fluxIAE_{view}_{STAMP}.csv{'.gz' if compress else ''}"
    opener = (lambda p: gzip.open(p, "wt", encoding="utf-8", compresslevel=1)) if compress \
        else (lambda p: open(p, "w", encoding="utf-8"))
    count = 0
    with opener(path) as handle:
        handle.write(f"\ufeffDEB|fluxIAE_{view}|DONNEES FICTIVES\n{header}\n")
        for block in lines:
            handle.write(block)
            count += block.count("\n")
        handle.write(f"FIN|{count}\n")
    return count


def write_extract(folder: Path) -> dict:
    """The national synthetic extract in ``folder``; returns its sizes."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(19)
    demo = REPO / "data" / "raw" / "asp" / str(MILLESIME)
    for name in REFERENTIALS:
        shutil.copy(next(demo.glob(f"fluxIAE_{name}_*.csv")), folder)
    kinds = [KINDS[i % len(KINDS)] for i in range(SIAE)]
    departements = [f"{1 + i % 95:02d}" for i in range(SIAE)]
    _view(folder, "Structure", "structure_id_siae|structure_siret_actualise|"
          "structure_denomination|structure_adresse_admin_cp|structure_adresse_admin_code_insee",
          ["".join(f"{900001 + i}|{10**13 + 7919 * i:014d}|SIAE NATIONALE {i}|"
                   f"{departements[i]}000|{departements[i]}{1 + i % 300:03d}\n"
                   for i in range(SIAE))])
    af_rows = []
    for year_index, year in enumerate((MILLESIME - 1, MILLESIME)):
        for i in range(SIAE):
            af_rows.append(
                f"{7000001 + year_index * SIAE + i}|{kinds[i]}{departements[i]}{year % 100}"
                f"{i:05d}|0|0|VALIDE|{kinds[i]}_DC|{900001 + i}|01/01/{year}|31/12/{year}|"
                f"{5 + i % 40}.5|{(5 + i % 40) * 11000}|101\n")
    _view(folder, "AnnexeFinanciere", "af_id_annexe_financiere|af_numero_annexe_financiere|"
          "af_numero_avenant_renouvellement|af_numero_avenant_modification|"
          "af_etat_annexe_financiere_code|af_mesure_dispositif_code|af_id_structure|"
          "af_date_debut_effet|af_date_fin_effet|af_etp_postes_insertion|"
          "af_montant_total_annuel|af_duree_heure_annuel_etp_id", ["".join(af_rows)])
    siae = rng.integers(0, SIAE, PEOPLE)
    births = rng.integers(1960, 2006, PEOPLE)
    _view(folder, "Salarie", "salarie_id|salarie_rci_libelle|salarie_date_naissance|"
          "salarie_adr_qpv_type|salarie_adr_is_zrr",
          ["".join(f"{8000001 + p}|{'MME' if p % 2 else 'M.'}|01/01/{births[p]}|"
                   f"{'QP' if p % 7 == 0 else ''}|{'true' if p % 11 == 0 else 'false'}\n"
                   for p in range(PEOPLE))], compress=True)
    _view(folder, "ContratMission", "contrat_id_ctr|contrat_id_pph|contrat_salarie_rsa|"
          "contrat_salarie_rqth|contrat_salarie_pe_duree_id",
          ["".join(f"{8500001 + p}|{8000001 + p}|{'OUI-M' if p % 3 == 0 else 'NON'}|"
                   f"{'true' if p % 13 == 0 else 'false'}|{61 + p % 4}\n"
                   for p in range(PEOPLE))], compress=True)
    worked = rng.integers(1, 13, PEOPLE)                      # months worked in the millésime
    start = (rng.integers(0, 12, PEOPLE) % (13 - worked)) + 1
    before = rng.integers(0, 12, PEOPLE)                      # months of the year before
    hours = rng.integers(20, 152, (PEOPLE, 24))
    motives = rng.integers(301, 310, PEOPLE)
    days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

    def monthly():
        for first in range(0, PEOPLE, 5_000):
            rows = []
            for p in range(first, min(first + 5_000, PEOPLE)):
                ids = f"{8000001 + p}|{8500001 + p}"
                old, new = 7000001 + siae[p], 7000001 + SIAE + siae[p]
                for month in range(13 - before[p], 13):
                    rows.append(f"05/01/{MILLESIME - 1} 10:00:00||{old}|{month}|{MILLESIME - 1}|"
                                f"3|VALIDE|1||{ids}|{hours[p, month - 1]}|||1000.5||0.5|||"
                                "|||||||||||\n")
                last = start[p] + worked[p] - 1
                for month in range(start[p], last + 1):
                    end = month == last and last < 12
                    leaving = (f"{days[month - 1]:02d}/{month:02d}/{MILLESIME}|{motives[p]}|"
                               if end else "||")
                    rows.append(f"05/{month:02d}/{MILLESIME} 10:00:00||{new}|{month}|{MILLESIME}|"
                                f"3|VALIDE|1||{ids}|{hours[p, 11 + month]}|||1000.5||0.5|"
                                f"{leaving}|||||||||||\n")
            yield "".join(rows)

    rows = _view(folder, "EtatMensuelIndiv", EMI_HEADER, monthly(), compress=True)
    return {"siae": SIAE, "salaries": PEOPLE, "lignes_etats_mensuels": rows,
            "octets_etats_mensuels_gz": (folder / f"fluxIAE_EtatMensuelIndiv_{STAMP}.csv.gz")
            .stat().st_size}


def compute(folder: Path, whole: bool) -> dict:
    """Read the extract and compute the ASP figures (run in the child process)."""
    from iae_etat.sources import adapters, asp, fluxiae, ingestion, readers

    frames = {}
    for name in ingestion.ASP_VIEWS:
        adapter = adapters.load_adapter(name)
        files = adapters.find_files(adapter, folder)
        frames[name] = None
        if files and (whole or name != "asp_etats_mensuels"):
            frames[name], _ = readers.read_source(adapter, files[0], MILLESIME, files[0].name)
    if not whole:
        adapter = adapters.load_adapter("asp_etats_mensuels")
        path = adapters.find_files(adapter, folder)[0]
        frames["asp_etats_mensuels"] = (
            frame for frame, _ in fluxiae.stream(adapter, path, MILLESIME, path.name)
            if frame is not None)
    figures, problems = asp.indicators(
        frames["asp_structures"], frames["asp_annexes_financieres"],
        frames["asp_etats_mensuels"], frames["asp_salaries"], frames["asp_contrats"],
        frames["asp_motifs_sortie"], frames["asp_categories_sortie"], frames["asp_montants"],
        MILLESIME, ingestion._rules(SimpleNamespace(dir=REPO)),
        frames["asp_durees_inscription"])
    return {"structures": len(figures), "problemes": len(problems),
            "etp_realises": round(float(figures["etp_realises"].sum()), 3),
            "salaries_annee": int(figures["salaries_annee"].sum()),
            "sorties": int(figures["sorties"].sum())}


def measure(folder: Path, whole: bool = False) -> dict:
    """Wall time and peak memory of ``compute`` in a child process."""
    command = [sys.executable, str(Path(__file__).resolve()), "--calcul", str(folder)]
    if whole:
        command.append("--entier")
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out, errors = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"calcul ASP : échec\n{errors.decode('utf-8', 'replace')}")
    return {"s": round(wall, 3), "rss_mib": round(usage.ru_maxrss / 1024, 1),
            "resultat": json.loads(out)}


def bench_asp(work: Path) -> dict:
    """The figures of the bench JSON: ``asp_national_s`` and ``asp_national_peak_rss_mib``."""
    folder = work / "asp-national"
    started = time.perf_counter()
    sizes = write_extract(folder)
    written = round(time.perf_counter() - started, 1)
    run = measure(folder)
    return {"asp_national_s": run["s"], "asp_national_peak_rss_mib": run["rss_mib"],
            "asp_national": {**sizes, "ecriture_s": written, **run["resultat"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dossier", type=Path)
    parser.add_argument("--calcul", action="store_true", help="calculer (processus enfant)")
    parser.add_argument("--entier", action="store_true",
                        help="lire la vue des états mensuels en entier (avant la lecture en flux)")
    options = parser.parse_args()
    if options.calcul:
        print(json.dumps(compute(options.dossier, options.entier)))
        return
    if not (options.dossier / f"fluxIAE_EtatMensuelIndiv_{STAMP}.csv.gz").exists():
        print(json.dumps(write_extract(options.dossier)), flush=True)
    print(json.dumps(measure(options.dossier, options.entier)))


if __name__ == "__main__":
    main()
