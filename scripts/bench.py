"""Benchmark of iae-etat (``make bench``): the demo, then a national synthetic project.

The national project is written by the demo generator: every commune of the 101 départements,
3 millésimes, about 5,000 questionnaire workbooks a year, the needs sources for every commune
(France Travail, CAF, INSEE, QPV, FRR, CLPE). The ASP extranet files are measured apart
(``bench_asp.py``): a national synthetic FluxIAE extract read and computed. Projects of 500,
1,000 and 5,000 questionnaires share its files (hard links) and are built cold by the real
command line, one process per run, so that wall time and peak memory are those a user sees. On
the same workbooks the script times two references: the floor (unzipping every part of every
workbook) and the naive peer
(``pandas.read_excel(sheet_name=None, engine="openpyxl")``, on an evenly spaced sample because it
is slow). The campaign prepares the prefilled questionnaire of every SIAE of the national list
of the last millésime (``iae-etat questionnaire``, last year's returns read for the prefill).
A fixed load timed before each part and at the end (``machine_reference``) tells whether the
host was as quiet as for the bench one compares with.

Writes ``reports/bench/bench.json`` and the table ``reports/bench/bench.md``.
Usage: ``python scripts/bench.py [--partie demo,national,campagne,asp] [--tailles 500,1000,5000]
[--travail DIR] [--garder]``; ``--partie`` runs some parts only (all by default).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench_asp import bench_asp
from bench_memory import PeakMemory

REPO = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("iae-etat"))
MILLESIMES = (2023, 2024, 2025)
STRUCTURES_PER_DEPARTEMENT = 59     # × 101 départements × 85 % of answers ≈ 5,070 a year
NAIVE_SAMPLE = 150
TARGETS = {  # issues 7 and 19, on 2 cores
    "national_build_s": ("≤", 60.0), "national_peak_rss_mib": ("≤", 1536.0),
    "national_build_evolution_s": ("≤", 90.0),
    # one corrected return rebuilt, as a share of the cold build of the same millésime
    "national_un_questionnaire_part_du_froid": ("≤", 0.25),
    "ingest_speedup_vs_openpyxl": ("≥", 15.0), "ingest_vs_floor": ("≤", 3.0),
    "demo_cold_s": ("≤", 10.0), "demo_noop_s": ("≤", 0.5), "help_s": ("≤", 0.3),
    "campagne_s": ("≤", 60.0),   # issue 19: 5 000 workbooks or more in a minute
    "asp_national_peak_rss_mib": ("≤", 1536.0),  # issue 19: the ASP extract of all France
    "bench_s": ("≤", 600.0),
}


def run_cli(*args: str, project: Path | None = None) -> dict:
    """Run ``iae-etat`` once; wall time, peak memory of its process tree (``bench_memory``),
    per-stage durations and exit code."""
    command = [CLI]
    log = None
    if project is not None:
        log = project / ".bench-journal.jsonl"
        log.unlink(missing_ok=True)
        command += ["--project-dir", str(project), "--quiet", "--log-file", str(log)]
    command += list(args)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        tree = PeakMemory(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        peak = max(tree.stop(), usage.ru_maxrss / 1024)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        message = errors.read().decode("utf-8", "replace")
    if process.returncode != 0:
        raise SystemExit(f"iae-etat {' '.join(args)} : code {process.returncode}\n{message}")
    stages, years, millesime = {}, {}, None
    if log is not None and log.exists():
        for line in log.read_text("utf-8").splitlines():
            event = json.loads(line)
            if event.get("evenement") == "debut":
                millesime = event["millesime"]
                years[millesime] = {"etapes": {}}
            elif event.get("evenement") == "etape":
                stages[event["etape"]] = event["duree_s"]
                years[millesime]["etapes"][event["etape"]] = event["duree_s"]
            elif event.get("evenement") == "fin":
                years[millesime]["s"] = event["duree_s"]
    return {"s": round(wall, 3), "rss_mib": round(peak, 1), "etapes": stages,
            "millesimes": years}


def link_tree(source: Path, target: Path, keep) -> None:
    """Hard-link the files of ``source`` under ``target`` when ``keep(path)`` is true."""
    for path in sorted(source.rglob("*")):
        if path.is_file() and keep(path):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, destination)


def sized_project(national: Path, target: Path, size: int) -> Path:
    """A project holding the first ``size`` questionnaires of each millésime of ``national``."""
    chosen = set()
    for millesime in MILLESIMES:
        files = sorted((national / "data/raw/questionnaires" / str(millesime)).glob("*.xlsx"))
        chosen.update(files[:size])
    target.mkdir(parents=True)
    shutil.copy(national / "iae-etat.toml", target / "iae-etat.toml")
    link_tree(national / "data" / "raw", target / "data" / "raw",
              lambda p: "questionnaires" not in p.parts or p in chosen)
    return target


def change_one_questionnaire(project: Path, millesime: int) -> None:
    """Rewrite one return with one more salarié, as a corrected return would be."""
    from iae_etat.common.vocabulary import QUESTIONNAIRES_RESIDENCE
    from iae_etat.questionnaire.prefill import WorkbookTemplate
    from iae_etat.questionnaire.reader import read_return
    from iae_etat.tables.contracts import load_contract
    from iae_etat.territoires import referentiel

    contract = load_contract("raw_questionnaires")
    residence = load_contract(QUESTIONNAIRES_RESIDENCE)
    path = sorted((project / "data/raw/questionnaires" / str(millesime)).glob("*.xlsx"))[0]
    retour = read_return(path, contract, path.name, residence)
    answers = dict(retour.answers)
    answers["salaries_annee"] = int(answers.get("salaries_annee") or 0) + 1
    communes = referentiel.communes()
    departement = communes.loc[communes["code_commune"] == answers["code_commune_siege"],
                               "code_departement"].iloc[0]
    territoires = referentiel.territoires([departement])
    epcis = sorted(set(zip(territoires["code_epci"], territoires["nom_epci"], strict=True)))
    data = WorkbookTemplate(contract, millesime, True, residence, epcis).fill(
        answers, retour.residence)
    path.unlink()                                    # break the hard link first
    path.write_bytes(data)


def per_questionnaire_ms(files: list[Path], read) -> float:
    started = time.perf_counter()
    for path in files:
        read(path)
    return round((time.perf_counter() - started) * 1000 / len(files), 3)


def unzip_everything(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            archive.read(name)


def references(files: list[Path]) -> dict:
    """The reader of iae-etat against the unzip floor and the pandas peers, same workbooks."""
    import pandas as pd

    from iae_etat.common.vocabulary import QUESTIONNAIRES_RESIDENCE
    from iae_etat.sources.stage import read_envoi
    from iae_etat.tables.contracts import load_contract

    contract = load_contract("raw_questionnaires")
    residence = load_contract(QUESTIONNAIRES_RESIDENCE)

    def read_and_check(path: Path) -> None:     # what ingest does for one return
        read_envoi(path, path.name, contract, residence, MILLESIMES[-1], None)

    sample = files[:: max(1, len(files) // NAIVE_SAMPLE)][:NAIVE_SAMPLE]
    for path in files[:50]:                          # warm the page cache and the imports
        unzip_everything(path)
        read_and_check(path)
    return {
        "unzip_floor_ms_per_questionnaire": per_questionnaire_ms(files, unzip_everything),
        "lecture_ms_per_questionnaire": per_questionnaire_ms(files, read_and_check),
        "naive_openpyxl_ms_per_questionnaire": per_questionnaire_ms(
            sample, lambda p: pd.read_excel(p, sheet_name=None, engine="openpyxl")),
        "pandas_calamine_ms_per_questionnaire": per_questionnaire_ms(
            sample, lambda p: pd.read_excel(p, sheet_name=None, engine="calamine")),
        "echantillon_pandas": len(sample),
    }


def slope(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least-squares slope and coefficient of determination."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    b = sxy / sxx
    ss_res = sum((y - mean_y - b * (x - mean_x)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    return b, (1 - ss_res / ss_tot) if ss_tot else 1.0


def bench_demo(work: Path) -> dict:
    from iae_etat.demo.generator import generate_demo

    demo = work / "demo"
    generate_demo(demo)
    # The demo asks for the PDF ([rapport] pdf = true): the cold build and the no-op are
    # measured without it, as the targets are, then « --pdf » adds it.
    without_pdf(demo / "iae-etat.toml")
    # The cold build, like the no-op and the help, is the best of its runs (here two, each on
    # its own copy of the generated project): a run slowed by another process says nothing
    # of the command.
    again = work / "demo-bis"
    shutil.copytree(demo, again)
    runs = [run_cli("build", project=again), run_cli("build", project=demo)]
    shutil.rmtree(again)
    cold = min(runs, key=lambda run: run["s"])
    noop = min(run_cli("build", project=demo)["s"] for _ in range(3))
    # The PDF is made inside the report stage: its cost is what it adds to that stage.
    with_pdf = run_cli("build", "--pdf", project=demo)
    pdf_s = with_pdf["etapes"]["report"] - cold["etapes"]["report"]
    return {"demo_cold_s": cold["s"], "demo_cold_essais_s": [run["s"] for run in runs],
            "demo_noop_s": noop, "demo_etapes": cold["etapes"],
            "demo_pdf_s": round(pdf_s, 2), "demo_build_pdf_s": with_pdf["s"]}


def without_pdf(config: Path) -> None:
    """Turn off the PDF the generated projects ask for (``[rapport] pdf = true``)."""
    text = config.read_text("utf-8")
    if "\npdf = true" not in text:
        raise SystemExit("bench : la démonstration ne demande plus le PDF ([rapport] pdf).")
    config.write_text(text.replace("\npdf = true", "\npdf = false"), "utf-8")


def national_project(work: Path) -> tuple[Path, dict]:
    """The national synthetic project (generated once per run, shared by the parts)."""
    from iae_etat.demo.generator import generate_demo
    from iae_etat.territoires import referentiel

    national = work / "national"
    marker = work / "national.json"
    if marker.exists():
        return national, json.loads(marker.read_text("utf-8"))
    departements = tuple(referentiel.departements()["code_departement"])
    started = time.perf_counter()
    counts = generate_demo(national, departements=departements, millesimes=MILLESIMES,
                           structures_per_departement=STRUCTURES_PER_DEPARTEMENT, with_asp=False)
    # The targets are those of a build without the PDF (a national document of every EPCI's
    # fiche is not printed by WeasyPrint in minutes): the demo's setting is turned off.
    without_pdf(national / "iae-etat.toml")
    info = {"communes": counts["communes"], "structures": counts["structures"],
            "departements": len(departements),
            "generation_s": round(time.perf_counter() - started, 1)}
    marker.write_text(json.dumps(info), "utf-8")
    return national, info


def bench_national(work: Path, sizes: list[int]) -> dict:
    national, info = national_project(work)
    available = len(list((national / "data/raw/questionnaires" / str(MILLESIMES[-1]))
                         .glob("*.xlsx")))
    series, ingest_alone = [], {}
    for size in sorted(sizes):
        if size > available:
            raise SystemExit(f"{size} questionnaires demandés, {available} générés.")
        project = sized_project(national, work / f"q{size}", size)
        # The slope of the ingest is measured by one command at every size: « ingest » alone,
        # cold (the largest on a copy of its own). Only the ingest depends on the number of
        # questionnaires: the smaller sizes run it alone. The largest runs « build --all »
        # once: its first millésime is a cold build without earlier years, its last one a
        # cold build with the evolution against two.
        alone = project if size < max(sizes) \
            else sized_project(national, work / f"q{size}-ingest", size)
        cold = run_cli("ingest", project=alone)
        ingest_alone[size] = cold["etapes"]["ingest"]
        if size < max(sizes):
            series.append({"questionnaires": size, "s": cold["s"], "rss_mib": cold["rss_mib"],
                           **{f"{k}_s": v for k, v in cold["etapes"].items()}})
            continue
        build_all = run_cli("build", "--all", project=project)
        first, last = (build_all["millesimes"][m] for m in (MILLESIMES[0], MILLESIMES[-1]))
        series.append({"questionnaires": size, "s": first["s"], "rss_mib": build_all["rss_mib"],
                       **{f"{k}_s": v for k, v in first["etapes"].items()}})
    largest = work / f"q{max(sizes)}"
    noop = min(run_cli("build", project=largest)["s"] for _ in range(3))
    change_one_questionnaire(largest, MILLESIMES[-1])
    one = run_cli("build", project=largest)
    files = sorted((largest / "data/raw/questionnaires" / str(MILLESIMES[-1])).glob("*.xlsx"))
    ingest_slope, ingest_r2 = slope(list(ingest_alone), list(ingest_alone.values()))
    top = series[-1]
    refs = references(files)
    return {
        "questionnaires": top["questionnaires"], "communes": info["communes"],
        "departements": info["departements"], "millesimes": list(MILLESIMES),
        "generation_s": info["generation_s"],
        "national_build_s": top["s"], "national_peak_rss_mib": max(
            [s["rss_mib"] for s in series] + [one["rss_mib"]]),
        "national_etapes": {k: top[k] for k in top if k.endswith("_s")},
        "national_build_all_s": build_all["s"], "national_noop_s": noop,
        "national_build_evolution_s": last["s"], "national_evolution_etapes": last["etapes"],
        "national_un_questionnaire_modifie_s": one["s"],
        "national_un_questionnaire_part_du_froid": round(one["s"] / last["s"], 3),
        "national_un_questionnaire_etapes": one["etapes"],
        "tailles": series,
        "ingest_seul_s": {str(size): seconds for size, seconds in ingest_alone.items()},
        "ingest_ms_per_questionnaire": round(ingest_slope * 1000, 3),
        "pente_ingest_r2": round(ingest_r2, 4),
        **refs,
        "ingest_speedup_vs_openpyxl": round(
            refs["naive_openpyxl_ms_per_questionnaire"] / (ingest_slope * 1000), 1),
        "ingest_vs_floor": round(ingest_slope * 1000
                                 / refs["unzip_floor_ms_per_questionnaire"], 2),
    }


def bench_campagne(work: Path) -> dict:
    """``iae-etat questionnaire`` for the national list of the last millésime: one prefilled
    workbook per SIAE (its stable answers and last year's read from the returns)."""
    national, _ = national_project(work)
    millesime = MILLESIMES[-1]
    folder = national / "reports" / str(millesime) / "questionnaires"
    shutil.rmtree(folder, ignore_errors=True)
    run = run_cli("questionnaire", "--millesime", str(millesime), project=national)
    written = sorted(folder.glob("*.xlsx"))
    listed = len((national / "data/raw/structures" / str(millesime) / "liste_siae.csv")
                 .read_text("utf-8").splitlines()) - 1
    if len(written) < listed:
        raise SystemExit(f"campagne : {len(written)} questionnaires écrits pour {listed} SIAE.")
    return {"campagne_s": run["s"], "campagne_rss_mib": run["rss_mib"],
            "campagne_questionnaires": len(written),
            "campagne_ms_par_questionnaire": round(run["s"] * 1000 / len(written), 2),
            "campagne_mio": round(sum(p.stat().st_size for p in written) / 2**20, 1)}


def bench_petites_choses(work: Path) -> dict:
    """The help of the command line (best of five) and the demo: cold build without the PDF
    (best of two), no-op build (best of three), the PDF's own cost."""
    return {"help_s": min(run_cli("--help")["s"] for _ in range(5)), **bench_demo(work)}


# Each part writes its own keys of the JSON; « --partie » chooses some, in this order.
PARTIES = {
    "demo": lambda work, options: bench_petites_choses(work),
    "national": lambda work, options: bench_national(
        work, [int(s) for s in options.tailles.split(",")]),
    "campagne": lambda work, options: bench_campagne(work),
    "asp": lambda work, options: bench_asp(work),
}


def machine_reference() -> float:
    """Seconds of a fixed load (a Python loop, a NumPy sort, a pandas sum by key), best of
    three: measured before each part and at the end of the bench, it tells a host slowed by
    others from a slower code."""
    import numpy as np
    import pandas as pd

    values = np.random.default_rng(0).random(2_000_000)
    frame = pd.DataFrame({"cle": np.random.default_rng(1).integers(0, 100_000, len(values)),
                          "valeur": values})

    def once() -> float:
        started = time.perf_counter()
        total = 0
        for number in range(3_000_000):
            total += number
        np.sort(values)
        frame.groupby("cle")["valeur"].sum()
        return time.perf_counter() - started

    return round(min(once() for _ in range(3)), 3)


def verdicts(results: dict) -> dict:
    out = {}
    for key, (sense, limit) in TARGETS.items():
        value = results.get(key)
        if value is None:
            out[key] = "non mesuré"
        else:
            ok = value <= limit if sense == "≤" else value >= limit
            out[key] = f"{'atteint' if ok else 'manqué'} ({value} {sense} {limit})"
    return out


def national_table(results: dict) -> list[str]:
    lines = ["| questionnaires | commande à froid | durée (s) | ingest (s) | analyse (s) "
             "| report (s) | mémoire max (Mio) |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    largest = max(s["questionnaires"] for s in results["tailles"])
    for s in results["tailles"]:
        command = f"build --all ({MILLESIMES[0]})" if s["questionnaires"] == largest \
            else "ingest"
        lines.append(f"| {s['questionnaires']} | {command} | {s['s']} | {s.get('ingest_s', '')} "
                     f"| {s.get('analyse_s', '')} | {s.get('report_s', '')} | {s['rss_mib']} |")
    return lines + [
        "", f"Pente de l'ingestion : {results['ingest_ms_per_questionnaire']} ms par "
        f"questionnaire (R² {results['pente_ingest_r2']}), mesurée par « ingest » seul, à "
        f"froid, à chaque taille (secondes : {results.get('ingest_seul_s')}).", "",
        f"La plus grande taille est construite une seule fois par « build --all » : la "
        f"ligne ci-dessus est son millésime {MILLESIMES[0]} (à froid, sans millésime "
        f"antérieur) ; national_build_evolution_s est son millésime {MILLESIMES[-1]} (à "
        f"froid, avec l'évolution sur les deux millésimes antérieurs) ; la mémoire "
        "maximale est celle de la commande et des processus qu'elle lance, ensemble (somme "
        "des PSS échantillonnée, ou la plus grande RSS d'un seul processus si elle est plus "
        "grande). Les lecteurs pandas (pairs naïfs) sont "
        f"mesurés sur un échantillon régulier de {results.get('echantillon_pandas')} "
        "classeurs, en ms par classeur ; le plancher et la lecture d'iae-etat sur tous.", ""]


def table(results: dict) -> str:
    lines = ["# Banc d'essai iae-etat", "",
             f"{results['machine']['coeurs']} cœurs, Python {results['machine']['python']}, "
             f"{results['date']} ; parties : {', '.join(results['parties'])}.", "",
             "Référence de la machine (une charge fixe, meilleure de trois, en secondes) avant "
             "chaque partie et à la fin : "
             + ", ".join(f"{moment} {seconds}" for moment, seconds
                         in results["machine"]["reference_s"].items())
             + ". Deux bancs ne se comparent qu'à références égales : un hôte chargé par "
             "d'autres ralentit tout, sans que le code y soit pour rien.", ""]
    if "tailles" in results:
        lines += national_table(results)
    lines += ["| mesure | valeur |", "| --- | ---: |"]
    for key in ("national_build_all_s", "national_build_evolution_s", "national_noop_s",
                "national_un_questionnaire_modifie_s", "national_un_questionnaire_part_du_froid",
                "unzip_floor_ms_per_questionnaire", "lecture_ms_per_questionnaire",
                "naive_openpyxl_ms_per_questionnaire", "pandas_calamine_ms_per_questionnaire",
                "campagne_questionnaires", "campagne_s", "campagne_ms_par_questionnaire",
                "campagne_rss_mib", "demo_cold_s", "demo_cold_essais_s", "demo_noop_s",
                "demo_pdf_s", "help_s",
                "asp_national_s", "asp_national_peak_rss_mib", "bench_s"):
        if key in results:
            lines.append(f"| {key} | {results[key]} |")
    lines += ["", "| objectif | résultat |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in results["objectifs"].items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partie", default=",".join(PARTIES),
                        help=f"parties à mesurer, séparées par des virgules : {', '.join(PARTIES)}"
                             " (toutes par défaut)")
    parser.add_argument("--tailles", default="500,1000,5000")
    parser.add_argument("--travail", type=Path, help="dossier de travail (défaut : temporaire)")
    parser.add_argument("--garder", action="store_true", help="garder le dossier de travail")
    parser.add_argument("--sortie", type=Path, default=REPO / "reports" / "bench")
    options = parser.parse_args()
    chosen = [p.strip() for p in options.partie.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PARTIES]
    if unknown or not chosen:
        parser.error(f"partie inconnue : {', '.join(unknown) or '(aucune)'} ; "
                     f"parties : {', '.join(PARTIES)}")
    work = options.travail or Path(tempfile.mkdtemp(prefix="iae-etat-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    started = time.perf_counter()
    reference: dict[str, float] = {}
    try:
        for name in PARTIES:                 # always in the order of PARTIES
            if name in chosen:
                print(f"{name}…", flush=True)
                reference[name] = machine_reference()
                results.update(PARTIES[name](work, options))
    finally:
        if not options.garder:
            shutil.rmtree(work, ignore_errors=True)
    results["bench_s"] = round(time.perf_counter() - started, 1)
    results["parties"] = [name for name in PARTIES if name in chosen]
    results["machine"] = {"coeurs": os.cpu_count(), "python": platform.python_version(),
                          "systeme": platform.platform(),
                          "reference_s": {**reference, "fin": machine_reference()}}
    results["date"] = time.strftime("%Y-%m-%d %H:%M")
    results["objectifs"] = verdicts(results)
    options.sortie.mkdir(parents=True, exist_ok=True)
    saved = options.sortie / "bench.json"
    saved.write_text(json.dumps(results, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                     "utf-8")
    (options.sortie / "bench.md").write_text(table(results), "utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
