"""Fictional files of the administrative and public sources, in their real layouts.

One file of each layout per millésime (formats/README.md): ASP FluxIAE views (with invented
personal data, which the tool must drop), ASP annual bilan, emplois de l'inclusion API, France
Travail by département, CAF, Insee (zones d'emploi, chômage, population), QPV, FRR and CLPE.
Every value is invented; zones d'emploi and CLPE are fictional groupings of the real communes.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from pathlib import Path

import pandas as pd

from iae_etat.sources.structures import normalise_name
from iae_etat.tables.files import write_bytes, write_text
from iae_etat.tables.xlsx import set_cell, workbook_bytes
from iae_etat.territoires import referentiel

# Aide au poste socle per ETP since August 2022 (DESIGN §2; EITI: fictional value).
AIDE_AU_POSTE = {"ACI": 22289, "AI": 1509, "EI": 11609, "ETTI": 4454, "EITI": 1000}

# Fictional rise of the DE in 2025 (RSA beneficiaries registered automatically: the break).
FT_BREAK_FACTOR = 1.12
HOURS_PER_ETP = 1607
MONTHLY_HOURS = {"ACI": 100, "AI": 45, "EI": 130, "ETTI": 70, "EITI": 80}
MESURE_ID = {"AI": 1, "ACI": 2, "EI": 3, "ETTI": 4, "EITI": 8}
# (rms_id, rms_code, label, rcs_id): categories 11–15 below; labels of the public definitions.
MOTIFS = ((301, "10", "Embauche en CDI", 11), (302, "11", "Embauche en CDD de plus de 6 mois", 11),
          (303, "20", "Embauche en CDD de moins de 6 mois", 12),
          (304, "2", "Embauche pour une durée déterminée dans une autre structure IAE", 13),
          (305, "40", "Entrée en formation qualifiante", 13), (306, "30", "Au chômage", 14),
          (307, "31", "Inactivité", 14), (308, "50", "Déménagement", 15),
          (309, "96", "Embauche en CDI Inclusion", 11))
MOTIF_WEIGHTS = (8, 5, 14, 5, 6, 40, 10, 4, 3)
# Registration lengths at hiring (labels of the ASP allocation-length referential; ids invented).
DUREES = ((61, "NON"), (62, "MOINS DE 6 MOIS"), (63, "DE 6 A 11 MOIS"), (64, "DE 12 A 23 MOIS"),
          (65, "24 MOIS ET PLUS"))
DUREE_WEIGHTS = (20, 25, 20, 18, 17)
CATEGORIES = ((11, "1", "Emploi durable"), (12, "2", "Emploi de transition"),
              (13, "3", "Sorties positives"), (14, "4", "Autres sorties"),
              (15, "5", "Retrait des sorties constatées"))
SYLLABES = ("ba", "ro", "vel", "mi", "tar", "lou", "zen", "qui", "dor", "sa", "pel", "nu")
PRENOMS = ("Aline", "Bastien", "Corinne", "Driss", "Elodie", "Fabrice", "Gaëlle", "Hakim",
           "Inès", "Jordan", "Karima", "Lucas", "Maëlys", "Nordine", "Océane", "Pascal")
VOIES = ("Impasse des Glycines", "Rue du Four Banal", "Allée des Cerisiers", "Route de Crest",
         "Chemin du Lavoir", "Rue des Remparts")
BILAN_HEADERS = {
    "annee": "Année", "region": "Région", "departement": "Libellé Département",
    "type_siae": "Mesure", "numero_af": "0 - Numéro de l'annexe / avenant",
    "siret": "0 - SIRET  ", "denomination": "0 - Dénomination",
    "salaries_annee": "2 - Nombre total des salariés en insertion ayant travaillé da",
    "hommes": "2 - Dont hommes ", "femmes": "2 - Dont femmes ",
    "brsa": "2 - Dont bénéficiaires du RSA ", "ass": "2 - Dont bénéficiaires de l'ASS ",
    "aah": "2 - Dont bénéficiaires de l'AAH ",
    "rqth": "2 - Dont nombre de personnes reconnues RQTH :",
    "residents_frr": "2 - Dont résidants en ZRR ", "residents_qpv": "2 - Dont résidants en QPV ",
    "age_moins_26": "2 - Dont jeunes de moins de 26 ans :",
    "age_50_plus": "2 - Dont personnes sans emploi de 50 ans et plus :",
    "deld": "2 - Dont inscrits à Pôle emploi depuis 12 à 23 mois :",
    "detld": "2 - Dont inscrits à Pôle emploi depuis 24 mois et plus:",
    "sorties": "4 - Total des sorties examinées AI ETTI EITI",
    "sorties_durables": "5 - Total des sorties dans l'emploi durable",
    "sorties_transition": "6 - Total des sorties dans l'emploi de transition",
    "sorties_positives": "7 - Total des sorties positives",
}


def write_sources(target: Path, millesime: int, structures: list, communes: pd.DataFrame,
                  seed: int, with_asp: bool = True) -> None:
    """Write the fictional source files of ``millesime`` under ``target/data/raw``."""
    rng = random.Random(f"{seed}-{millesime}-sources")
    raw = target / "data" / "raw"
    zones = _zones(communes)
    _write_zones(raw / "insee" / str(millesime), communes, zones)
    _write_chomage(raw / "insee" / str(millesime), millesime, zones, rng)
    _write_population(raw / "insee" / str(millesime), millesime, communes, rng)
    _write_clpe(raw / "clpe" / str(millesime), communes)
    _write_caf(raw / "caf" / str(millesime), millesime, communes, rng)
    _write_qpv(raw / "qpv" / str(millesime), communes, rng)
    _write_frr(raw / "frr" / str(millesime), communes)
    _write_ft_departements(raw / "france_travail" / str(millesime), millesime, communes, rng)
    _write_emplois(raw / "structures" / str(millesime), millesime, structures, communes, rng)
    if with_asp:
        _write_asp(raw / "asp" / str(millesime), millesime, structures, communes, rng)


def _csv(rows: list, delimiter: str = ";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _xlsx(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    set_cell(sheet.cell(r, c), value)
    return workbook_bytes(workbook)


def _zones(communes: pd.DataFrame) -> pd.DataFrame:
    """Fictional zones d'emploi: one per arrondissement (per département where there is none),
    named after its largest commune; codes 99xx, or 9xxx when a large scope needs more."""
    area = communes["code_arrondissement"].fillna("d" + communes["code_departement"])
    data = communes.assign(area=area).sort_values(["area", "population", "code_commune"],
                                                  ascending=[True, False, True])
    heads = data.drop_duplicates("area")
    names = {a: f"{n} (zone fictive)" for a, n in
             zip(heads["area"], heads["nom_commune"], strict=True)}
    width = "99{:02d}" if len(names) < 99 else "9{:03d}"
    codes = {a: width.format(i + 1) for i, a in enumerate(sorted(names))}
    return pd.DataFrame({"code_commune": communes["code_commune"],
                         "code_zone_emploi": area.map(codes), "nom_zone_emploi": area.map(names)})


def _write_zones(folder: Path, communes: pd.DataFrame, zones: pd.DataFrame) -> None:
    rows = [["codgeo", "libgeo", "ze2020", "libze2020", "ze_partie_reg", "dep", "reg"]]
    for c, z in zip(communes.itertuples(index=False), zones.itertuples(index=False),
                    strict=True):
        rows.append([c.code_commune, c.nom_commune, z.code_zone_emploi, z.nom_zone_emploi, "",
                     c.code_departement, c.code_region])
    write_text(folder / "zones_emploi_2020_communes.csv", _csv(rows, ","))


def _write_chomage(folder: Path, millesime: int, zones: pd.DataFrame,
                   rng: random.Random) -> None:
    quarters = [f"{y}-T{q}" for y in (millesime - 1, millesime) for q in range(1, 5)]
    rows = [["Taux de chômage localisés par zone d'emploi (données fictives)"], [], [], [],
            [], ["ZE2020", "LIBZE2020", "REG", "LIBREG", *quarters]]
    for code, name in sorted(set(zip(zones["code_zone_emploi"], zones["nom_zone_emploi"],
                                     strict=True))):
        level = rng.uniform(6, 10)
        rows.append([int(code), name, 84, "Auvergne-Rhône-Alpes",
                     *[round(level + rng.uniform(-0.4, 0.4), 1) for _ in quarters]])
    write_bytes(folder / f"chomage-zone-t1-2003-t4-{millesime}.xlsx",
                _xlsx({"Sommaire": [["Données fictives de démonstration"]], "txcho_ze": rows}))


def _write_population(folder: Path, millesime: int, communes: pd.DataFrame,
                      rng: random.Random) -> None:
    prefix = f"P{millesime - 2003:02d}_"  # recensement of N-3 published in N
    rows = [["CODGEO", f"{prefix}POP", f"{prefix}POP1524", f"{prefix}POP2554",
             f"{prefix}POP5564"]]
    for c in communes.itertuples(index=False):
        pop = float(c.population or 0) * rng.uniform(0.98, 1.02)
        rows.append([c.code_commune, f"{pop:.2f}", f"{pop * rng.uniform(0.09, 0.12):.2f}",
                     f"{pop * rng.uniform(0.36, 0.4):.2f}", f"{pop * rng.uniform(0.12, 0.15):.2f}"])
    write_text(folder / f"base-cc-evol-struct-pop-{millesime - 3}.csv", _csv(rows))


def _write_clpe(folder: Path, communes: pd.DataFrame) -> None:
    """Fictional CLPE: one per EPCI (a commune outside any EPCI joins the first one)."""
    epcis = sorted(communes["code_epci"].dropna().unique())
    codes = {e: f"CLPE{communes['code_departement'].iloc[0]}{i + 1:03d}"
             for i, e in enumerate(epcis)}
    names = communes.dropna(subset=["code_epci"]).drop_duplicates("code_epci") \
        .set_index("code_epci")["nom_epci"]
    rows = [["commune_id", "territoire_id", "territoire_libelle", "departement_id"]]
    for c in communes.itertuples(index=False):
        epci = c.code_epci if isinstance(c.code_epci, str) else epcis[0]
        rows.append([c.code_commune, codes[epci], f"CLPE fictif {names[epci]}",
                     c.code_departement])
    write_text(folder / "clpe_communes.csv", _csv(rows, ","))


def _write_caf(folder: Path, millesime: int, communes: pd.DataFrame,
               rng: random.Random) -> None:
    """The CAF export rsa_s_type_com_f (field names): foyers and personnes of each type of RSA
    in December of the last three years (every year since 2020 in the real file), rounded to
    5; one commune nouvelle written with the codes of its former communes (an older COG) and
    one unknown code."""
    former = referentiel.communes_anciennes()
    former = former[(former["type"] == "ancien_code")
                    & former["code_commune"].isin(communes["code_commune"])]
    split = former["code_commune"].value_counts().sort_index()
    split = split[split >= 1].index[:1]
    rows = [["dtreffre", "numcomdo", "nomcom", "rsa_type", "indfoy_rsa", "indnbp_rsa"]]

    def shown(value: float) -> str:
        return str(int(round(value / 5) * 5))

    rates = {}
    for c in communes.itertuples(index=False):
        rng.uniform(0.2, 0.3)  # the draw of the former layout: later files keep their values
        rates[c.code_commune] = rng.uniform(0.015, 0.045)
    for year in range(millesime - 2, millesime + 1):  # the real file: every year since 2020
        for c in communes.itertuples(index=False):
            rsa = float(c.population or 0) * rates[c.code_commune] * (1 + 0.01 * (year - 2020))
            codes = [c.code_commune] if c.code_commune not in set(split) else \
                [c.code_commune, *former.loc[former["code_commune"] == c.code_commune,
                                             "code_ancien"]]
            for code in codes:
                part = rsa / len(codes)
                for kind, share in (("RSA non majoré", 0.82), ("RSA majoré", 0.18)):
                    rows.append([f"{year}-12-01", code, normalise_name(c.nom_commune), kind,
                                 shown(part * share), shown(part * share * 2.1)])
        rows.append([f"{year}-12-01", f"{communes['code_departement'].iloc[0]}999",
                     "COMMUNE DISPARUE", "RSA non majoré", "10", "20"])
    write_text(folder / "rsa_s_type_com_f.csv", "\ufeff" + _csv(rows))


def _write_qpv(folder: Path, communes: pd.DataFrame, rng: random.Random) -> None:
    big = communes.sort_values(["population", "code_commune"], ascending=[False, True]).head(4)
    dep = communes["code_departement"].iloc[0]
    rows = [["code_qp", "lib_qp", "insee_reg", "lib_reg", "insee_dep", "lib_dep", "insee_com",
             "lib_com", "siren_epci", "lib_epci"]]
    pops = [["CODE_QP", "CODGEO", "POP_MUN"]]
    number = 0
    for c in big.itertuples(index=False):
        for _ in range(1 + int(c.population or 0) // 30000):
            number += 1
            code = f"QN0{dep}{number:02d}M"
            rows.append([code, f"Quartier fictif {number}", c.code_region, c.nom_region, dep,
                         c.nom_departement, f'="{c.code_commune}"', c.nom_commune, c.code_epci,
                         c.nom_epci])
            pops.append([code, c.code_commune, str(rng.randint(1200, 6000))])
    first, second = big.iloc[0], big.iloc[1]
    number += 1
    code = f"QN0{dep}{number:02d}M"
    rows.append([code, f"Quartier fictif {number}", first.code_region, first.nom_region, dep,
                 first.nom_departement, f"{first.code_commune},{second.code_commune}",
                 f"{first.nom_commune},{second.nom_commune}", first.code_epci, first.nom_epci])
    pops += [[code, first.code_commune, str(rng.randint(800, 2000))],
             [code, second.code_commune, str(rng.randint(300, 900))]]
    write_bytes(folder / "qpv2024_liste.csv", ("\ufeff" + _csv(rows)).encode("utf-8"))
    write_text(folder / "pop_qpv2024.csv", _csv(pops))


def _write_frr(folder: Path, communes: pd.DataFrame) -> None:
    small = communes.sort_values(["population", "code_commune"]).head(len(communes) // 3)
    classes = ("FRR socle", "FRR+", "FRR socle", "FRR bénéficiaire")
    rows = [["Code_insee", "Libellé commune", "Classement FRR et FRR+ au 10 juillet 2025"]]
    for i, c in enumerate(small.sort_values("code_commune").itertuples(index=False)):
        rows.append([c.code_commune, c.nom_commune, classes[i % len(classes)]])
    write_bytes(folder / "Liste communes FRR_juillet2025.xlsx", _xlsx({"Communes FRR": rows}))


def _write_ft_departements(folder: Path, millesime: int, communes: pd.DataFrame,
                           rng: random.Random) -> None:
    headers = ["Code département", "Période", "Catégorie A", "Catégorie B", "Catégorie C",
               "Catégories ABC", "Inscrits depuis 12 à 23 mois", "Inscrits depuis 24 mois ou plus",
               "Moins de 26 ans", "50 ans ou plus", "Travailleurs handicapés"]
    rows = [headers]
    for dep, group in communes.groupby("code_departement"):
        # the trend and the 2025 break of the communal file (demo/generator.py)
        base = float(group["population"].fillna(0).sum()) * 0.07 \
            * (1 - 0.015 * (millesime - 2015)) * (FT_BREAK_FACTOR if millesime >= 2025 else 1)
        for quarter in range(1, 5):
            abc = round(base * rng.uniform(0.97, 1.03), -2)
            a, b = round(abc * 0.55, -2), round(abc * 0.15, -2)
            rows.append([dep, f"{millesime}-T{quarter}", a, b, abc - a - b, abc,
                         round(abc * 0.24, -2), round(abc * 0.22, -2), round(abc * 0.13, -2),
                         round(abc * 0.28, -2), round(abc * 0.1, -2)])
    write_text(folder / f"demandeurs_emploi_departements_{millesime}.csv",
               _csv([[str(int(v)) if isinstance(v, float) else v for v in r] for r in rows]))


def _write_emplois(folder: Path, millesime: int, structures: list, communes: pd.DataFrame,
                   rng: random.Random) -> None:
    """A saved page of the API: some listed SIAE, one new EITI and a GEIQ (not a SIAE)."""
    info = communes.set_index("code_commune")
    chosen = sorted(rng.sample(structures, 5), key=lambda s: s.siret)
    extra = communes.sort_values(["population", "code_commune"], ascending=[False, True]).iloc[1]
    results = []
    items = [(s.siret, s.type_siae, s.denomination, s.code_commune) for s in chosen]
    items += [(f"{900000000 + millesime:09d}00012", "EITI", "Coop fictive des indépendants",
               extra.code_commune),
              (f"{900000000 + millesime:09d}00020", "GEIQ", "Groupement fictif",
               extra.code_commune)]
    for number, (siret, kind, name, code) in enumerate(items, start=1):
        results.append({
            "cree_le": f"{millesime - 2}-03-04T10:12:45.123456+01:00",
            "mis_a_jour_le": f"{millesime}-11-02T09:00:00.000000+01:00", "siret": siret,
            "type": kind, "raison_sociale": name.upper(), "enseigne": name,
            "site_web": "https://exemple.invalid", "description": "Structure fictive.",
            "bloque_candidatures": False, "addresse_ligne_1": f"{number} {VOIES[number % 6]}",
            "addresse_ligne_2": "",
            "code_postal": str(info.at[code, "codes_postaux"]).split()[0],
            "ville": info.at[code, "nom_commune"], "departement": info.at[code, "code_departement"],
            "id": f"00000000-0000-4000-8000-{number:012d}", "telephone": "0100000000",
            "courriel": "contact@exemple.invalid",
            "postes": [{"id": number, "rome": "N1101",
                        "cree_le": f"{millesime}-01-05T10:00:00+01:00",
                        "mis_a_jour_le": f"{millesime}-06-01T10:00:00+02:00",
                        "recrutement_ouvert": "True", "description": "",
                        "appellation_modifiee": "", "type_contrat": "",
                        "nombre_postes_ouverts": 2, "lieu": None, "profil_recherche": ""}]})
    page = {"count": len(results), "next": None, "previous": None, "results": results}
    write_text(folder / f"emplois_siaes_{millesime}.json",
               json.dumps(page, ensure_ascii=False, indent=2) + "\n")


def _flux(vue: str, header: list[str], rows: list[list], millesime: int) -> bytes:
    """A FluxIAE file: BOM, DEB line, ``|`` header, records, FIN line with the count."""
    lines = [f"DEB|fluxIAE_{vue}|DONNEES FICTIVES", "|".join(header)]
    lines += ["|".join("" if v is None else str(v) for v in row) for row in rows]
    lines.append(f"FIN|{len(rows)}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def _fake_name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABES) for _ in range(3)).capitalize() + "fictif"


def _write_asp(folder: Path, millesime: int, structures: list, communes: pd.DataFrame,
               rng: random.Random) -> None:
    stamp = f"0501{millesime + 1}_061500"
    info = communes.set_index("code_commune")
    dep = communes["code_departement"].iloc[0]
    yy = f"{millesime % 100:02d}"
    structure_rows, af_rows, emi_rows, salarie_rows, contrat_rows, bilan_rows = \
        [], [], [], [], [], []
    person, contract = 0, 0
    for index, s in enumerate(structures, start=1):
        if s.type_siae not in MESURE_ID:
            continue
        id_structure, id_af = 900000 + index, 7000000 + index * 10 + millesime % 10
        cp = str(info.at[s.code_commune, "codes_postaux"]).split()[0]
        name = s.denomination.upper()
        if index == 2:
            name = name + "\n"  # a line break inside a field, as in real exports
        if index == 3:
            name = name.replace(" ", ' "', 1)  # a stray quote, never closed
        structure_rows.append([id_structure, s.siret, s.siret, name, "8899B", index % 30,
                               "RUE", VOIES[index % 6].upper(), cp,
                               normalise_name(info.at[s.code_commune, "nom_commune"]),
                               s.code_commune, "0100000000",
                               f"{_fake_name(rng).lower()}@exemple.invalid", _fake_name(rng),
                               "03/02/2017", f"15/12/{millesime}"])
        etp = round(s.etp_conventionnes * (1 + 0.03 * (millesime - 2024)), 1)
        number = f"{s.type_siae}0{dep}{yy}{index:04d}"
        mesure = f"{s.type_siae}_DC"
        socle = AIDE_AU_POSTE[s.type_siae]
        af_row = [id_af, f"CONV0{dep}{index:04d}", number, 0, 0, "VALIDE",
                  MESURE_ID[s.type_siae], mesure, id_structure, f"01/01/{millesime}",
                  f"31/12/{millesime}", etp, socle, round(etp * socle), 101]
        af_rows.append(af_row)
        if index % 9 == 0:  # an earlier modification of the same AF, superseded
            af_rows.append([id_af + 1, *af_row[1:4], 0, "VALIDE", *af_row[6:11],
                            round(etp * 0.8, 1), socle, round(etp * 0.8 * socle), 101])
            af_rows[-2][4] = 1
        if index % 13 == 0:  # an AF being typed in, not yet valid
            af_rows.append([id_af + 2, af_row[1], f"{s.type_siae}0{dep}{yy}{index + 500:04d}", 0,
                            0, "SAISI", *af_row[6:11], 5, socle, 5 * socle, 101])
        realised = etp * rng.uniform(0.82, 1.08)
        per_etp = {"ACI": 1.8, "AI": 4.0, "EI": 1.6, "ETTI": 3.2, "EITI": 1.3}[s.type_siae]
        people = max(2, round(realised * per_etp))
        spans = []
        for _ in range(people):
            start = rng.randint(1, 10)
            end = rng.randint(start + 1, 12) if rng.random() < 0.55 else 12
            spans.append((start, end))
        month_total = sum(e - s0 + 1 for s0, e in spans)
        hours = realised * HOURS_PER_ETP / month_total
        counts = dict.fromkeys(("salaries_annee", "hommes", "femmes", "brsa", "rqth",
                                "residents_qpv", "residents_frr", "age_moins_26", "age_50_plus",
                                "deld", "detld",
                                "sorties", "sorties_durables", "sorties_transition",
                                "sorties_positives"), 0)
        for start, end in spans:
            person += 1
            contract += 1
            id_person, id_contract = 8000000 + person, 8500000 + contract
            femme = rng.random() < 0.45
            birth = rng.randint(millesime - 62, millesime - 18)
            qpv = rng.random() < 0.15
            zrr = rng.random() < 0.1
            rsa = rng.choice(("OUI-M", "OUI-NM", "NON", "NON", "NON"))
            rqth = rng.random() < 0.1
            duree = rng.choices(DUREES, DUREE_WEIGHTS)[0][0]
            nir = f"{2 if femme else 1}{birth % 100:02d}{rng.randint(1, 12):02d}{dep}" \
                  f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}{rng.randint(1, 97):02d}"
            commune = s.code_commune
            salarie_rows.append([id_person, "MME" if femme else "M.", nir, _fake_name(rng),
                                 _fake_name(rng), rng.choice(PRENOMS),
                                 f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{birth}",
                                 rng.randint(1, 90), rng.choice(VOIES), cp, commune,
                                 normalise_name(info.at[commune, "nom_commune"]),
                                 "QP" if qpv else "", "Quartier fictif" if qpv else "",
                                 "true" if zrr else "false", f"02/{start:02d}/{millesime}"])
            contrat_rows.append([id_contract, id_person, id_structure, mesure,
                                 f"01/{start:02d}/{millesime}", rsa,
                                 "true" if rqth else "false", duree, rng.choice(VOIES),
                                 normalise_name(info.at[commune, "nom_commune"])])
            exit_motif = None
            if end < 12:
                exit_motif = rng.choices(MOTIFS, MOTIF_WEIGHTS)[0]
            total_hours = 0
            for month in range(start, end + 1):
                worked = max(1, round(hours * rng.uniform(0.85, 1.15)))
                total_hours += worked
                last = month == end and exit_motif is not None
                emi_rows.append([f"05/{month % 12 + 1:02d}/{millesime + (month == 12)} 10:00:00",
                                 "", id_af, month, millesime, 3, "VALIDE", 1, "", id_person,
                                 id_contract, worked, "", "", round(worked * 11.88, 2), "",
                                 round(worked / (HOURS_PER_ETP / 12), 2),
                                 f"28/{month:02d}/{millesime}" if last else "",
                                 exit_motif[0] if last else "", exit_motif[1] if last else "",
                                 *[""] * 11])
            counts["salaries_annee"] += 1
            counts["femmes" if femme else "hommes"] += 1
            counts["brsa"] += rsa != "NON"
            counts["rqth"] += rqth
            counts["deld"] += duree == 64
            counts["detld"] += duree == 65
            counts["residents_qpv"] += qpv
            counts["residents_frr"] += zrr
            counts["age_moins_26"] += millesime - birth < 26
            counts["age_50_plus"] += millesime - birth >= 50
            # the bilan counts an exit after the minimum path: 3 months (ACI, EI), 150 hours
            # (AI, ETTI), 1 hour (EITI); retraits are not exits
            path_done = end - start + 1 >= 3 if s.type_siae in ("ACI", "EI") else \
                total_hours >= (1 if s.type_siae == "EITI" else 150)
            if exit_motif is not None and exit_motif[3] != 15 and path_done:
                counts["sorties"] += 1
                key = {11: "sorties_durables", 12: "sorties_transition",
                       13: "sorties_positives"}.get(exit_motif[3])
                if key:
                    counts[key] += 1
        bilan_rows.append({"annee": millesime, "region": "AUVERGNE-RHONE-ALPES",
                           "departement": normalise_name(info.at[s.code_commune,
                                                                 "nom_departement"]),
                           "type_siae": s.type_siae,
                           "numero_af": f"{s.type_siae} 0{dep} {yy} {index:04d} A0 M0",
                           "siret": s.siret, "denomination": s.denomination.upper(), **counts,
                           "ass": 0, "aah": 0})
    write_bytes(folder / f"fluxIAE_Structure_{stamp}.csv", _flux("Structure", [
        "structure_id_siae", "structure_siret_actualise", "structure_siret_signature",
        "structure_denomination", "structure_code_naf", "structure_adresse_admin_numero",
        "structure_adresse_admin_type_voie", "structure_adresse_admin_nom_voie",
        "structure_adresse_admin_cp", "structure_adresse_admin_commune",
        "structure_adresse_admin_code_insee", "structure_adresse_gestion_telephone",
        "structure_adresse_mail_corresp_technique", "structure_adresse_nom_corresp_technique",
        "structure_date_creation", "structure_date_modification"], structure_rows, millesime))
    write_bytes(folder / f"fluxIAE_AnnexeFinanciere_{stamp}.csv", _flux("AnnexeFinanciere", [
        "af_id_annexe_financiere", "af_numero_convention", "af_numero_annexe_financiere",
        "af_numero_avenant_renouvellement", "af_numero_avenant_modification",
        "af_etat_annexe_financiere_code", "af_mesure_dispositif_id", "af_mesure_dispositif_code",
        "af_id_structure", "af_date_debut_effet", "af_date_fin_effet", "af_etp_postes_insertion",
        "af_montant_unitaire_annuel_valeur", "af_montant_total_annuel",
        "af_duree_heure_annuel_etp_id"], af_rows, millesime))
    emi = _flux("EtatMensuelIndiv", [
        "emi_date_creation", "emi_date_modification", "emi_afi_id", "emi_sme_mois",
        "emi_sme_annee", "emi_esm_etat_id", "emi_esm_etat_code", "emi_sme_version",
        "emi_date_validation", "emi_pph_id", "emi_ctr_id", "emi_nb_heures_travail",
        "emi_nb_mission", "emi_nb_heures_facturees", "emi_mt_salaire_brut",
        "emi_salarie_tjs_accomp", "emi_part_etp", "emi_date_fin_reelle", "emi_motif_sortie_id",
        "emi_motif_sortie_code", "emi_dsm_id", "emi_coefficient_degressive", "emi_dsm_ca_reel",
        "emi_dsm_ca_lisse", "emi_dsm_rdv_phy", "emi_dsm_rdv_dis", "emi_dsm_rdv_com",
        "emi_dsm_rdv_soc", "emi_dsm_acre", "emi_dsm_nb_rdv_mens_ti", "emi_dsm_nb_mois"],
        emi_rows, millesime)
    write_bytes(folder / f"fluxIAE_EtatMensuelIndiv_{stamp}.csv.gz",
                gzip.compress(emi, compresslevel=9, mtime=0))
    write_bytes(folder / f"fluxIAE_Salarie_{stamp}.csv", _flux("Salarie", [
        "salarie_id", "salarie_rci_libelle", "salarie_nir", "salarie_nom_usage",
        "salarie_nom_naissance", "salarie_prenom", "salarie_date_naissance",
        "salarie_adr_numero_voie", "salarie_adr_libelle_voie", "salarie_codepostalcedex",
        "salarie_codeinseecom", "salarie_commune", "salarie_adr_qpv_type", "salarie_adr_qpv_nom",
        "salarie_adr_is_zrr", "salarie_date_modification"], salarie_rows, millesime))
    write_bytes(folder / f"fluxIAE_ContratMission_{stamp}.csv", _flux("ContratMission", [
        "contrat_id_ctr", "contrat_id_pph", "contrat_id_structure", "contrat_mesure_disp_code",
        "contrat_date_embauche", "contrat_salarie_rsa", "contrat_salarie_rqth",
        "contrat_salarie_pe_duree_id", "contrat_adr_libelle_voie", "contrat_commune"],
        contrat_rows, millesime))
    write_bytes(folder / f"fluxIAE_RefDureePoleEmploi_{stamp}.csv", _flux(
        "RefDureePoleEmploi", ["rdp_id", "rdp_lib_duree_pe"], [list(d) for d in DUREES],
        millesime))
    write_bytes(folder / f"fluxIAE_RefMotifSort_{stamp}.csv", _flux(
        "RefMotifSort", ["rms_id", "rms_code", "rms_libelle", "rcs_id"],
        [list(m) for m in MOTIFS], millesime))
    write_bytes(folder / f"fluxIAE_RefCategorieSort_{stamp}.csv", _flux(
        "RefCategorieSort", ["rcs_id", "rcs_code", "rcs_libelle"],
        [list(c) for c in CATEGORIES], millesime))
    write_bytes(folder / f"fluxIAE_RefMontantIae_{stamp}.csv", _flux("RefMontantIae", [
        "rmi_id", "rmi_code", "rmi_libelle", "rmi_valeur", "rmi_date_debut_effet",
        "rmi_date_fin_effet", "code_dpt"], [
        [101, "NB_H_ETP", "Nombre d'heures annuelles théoriques pour un salarié à taux plein",
         HOURS_PER_ETP, "01/01/2016", "", ""],
        [102, "MT_ME_RSA", "Montant mensuel du RSA (valeur fictive)", "635.71", "01/04/2024",
         "", ""]], millesime))
    header = list(BILAN_HEADERS.values())
    rows = [header] + [[row[k] for k in BILAN_HEADERS] for row in bilan_rows]
    write_bytes(folder / f"DataON_bilan_{millesime}.xlsx", _xlsx({"Bilan": rows}))
