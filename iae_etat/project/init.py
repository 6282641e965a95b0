"""Creating a new, empty project directory."""

from __future__ import annotations

from pathlib import Path

from iae_etat.common.errors import UsageError
from iae_etat.project.config import CONFIG_NAME, SOURCES
from iae_etat.tables.files import write_text
from iae_etat.territoires.codes import normalise_departement

SOURCE_HELP = {
    "questionnaires": "questionnaires annuels renvoyés par les SIAE (.xlsx ou .ods)",
    "structures": "liste des SIAE conventionnées (format de la liste ASP, CSV « ; »)",
    "asp": "exports de l'extranet IAE de l'ASP (FluxIAE, bilans)",
    "france_travail": "demandeurs d'emploi par commune (CSV par trimestre)",
    "caf": "foyers allocataires du RSA par commune ou EPCI",
    "insee": "zones d'emploi, taux de chômage localisés, population",
    "qpv": "liste des quartiers prioritaires 2024 et leur population",
    "frr": "liste des communes France Ruralités Revitalisation",
    "clpe": "table commune → comité local pour l'emploi",
    "geo": "contours GeoJSON des communes pour les cartes",
}
CONFIG_TEMPLATE = """# Configuration du projet iae-etat
[projet]
nom = "{nom}"
departements = [{departements}]

[secret_statistique]
# Aucun effectif de personnes inférieur au seuil n'est publié.
seuil_effectifs = 11
seuil_dominance = 0.85
source = "Insee, Guide du secret statistique (2023) ; règle des effectifs de moins de 11 personnes"
# Données des structures : au moins 3 SIAE contributrices par case publiée (règle usuelle des
# statistiques d'entreprises), la dominance s'appliquant aussi aux effectifs.
seuil_structures = 3
source_structures = "Insee, Guide du secret statistique (2023) : au moins 3 unités par case"
# Intervalle de protection d'une case secrète primaire, vérifié par l'audit (programmation
# linéaire) : l'effectif ne peut être situé à moins de protection_effectifs personnes près, un
# montant à moins de protection_montants (part de sa valeur) près.
protection_effectifs = 11
protection_montants = 0.10

[analyse]
# attribution = "residence"  # offre répartie selon la résidence des salariés (EPCI, département) ;
#                            # par défaut « implantation » (commune du siège)
# non_reponse = "calage"     # totaux estimés en pondérant les SIAE ayant répondu ; par défaut
#                            # « aucune » (SIAE ayant répondu seulement)

[rapport]
# diffusion = "restreinte"  # tableau de bord complet (valeurs secrètes, chiffres par structure) :
#                           # réservé au comité de pilotage restreint ; par défaut « publique »
# pdf = true                # produire aussi etat-des-lieux.pdf à chaque construction
# scenarios = "scenarios"   # dossier des scénarios (*.toml) résumés dans le rapport

[financement]
# Équivalent BRSA du co-financement du Département : montant forfaitaire mensuel du RSA d'une
# personne seule sans autre ressource × 12 ; à mettre à jour à chaque revalorisation (1er avril).
montant_rsa_annuel = 7758.24
source = "Décret n° 2025-293 du 29 mars 2025 (RSA : 646,52 € par mois au 1er avril 2025) × 12"

# [valorisation]            # coûts évités : un bloc par coût unitaire, source citée
# [[valorisation.couts]]
# libelle = "Une année de RSA d'une personne seule évitée par sortie en emploi durable"
# par = "sorties_durables"  # ou "sorties_dynamiques"
# montant = 7758.24
# source = "Décret n° 2025-293 du 29 mars 2025 (646,52 € par mois) × 12"

# [bonnes_pratiques]        # thèmes des bonnes pratiques et leurs mots-clés (remplacent la liste
# "Relations avec les entreprises" = ["entreprise", "employeur", "immersion"]  # par défaut)
"""


def create_project(folder: Path, departements: list[str], nom: str = "") -> Path:
    """Write the configuration, the ``data/raw/<source>/`` folders and a French README."""
    codes = []
    for value in departements:
        code = normalise_departement(value)
        if code is None:
            raise UsageError(f"« {value} » n'est pas un code de département "
                             "(01 à 95, 2A, 2B, 971 à 976).")
        codes.append(code)
    folder = folder.expanduser().resolve()
    if (folder / CONFIG_NAME).exists():
        raise UsageError(f"{folder} contient déjà un projet ({CONFIG_NAME}).")
    from iae_etat.territoires import referentiel

    names = referentiel.departements().set_index("code_departement")["nom_departement"]
    label = nom or ", ".join(names.get(c, c) for c in codes)
    write_text(folder / CONFIG_NAME, CONFIG_TEMPLATE.format(
        nom=label.replace('"', "'"), departements=", ".join(f'"{c}"' for c in codes)))
    lines = [f"# Projet iae-etat — {label}", "",
             "Déposez chaque année les fichiers reçus dans `data/raw/<source>/<millésime>/` "
             "(ils ne sont jamais modifiés), puis lancez `iae-etat build`.", "",
             "| dossier | contenu attendu |", "| --- | --- |"]
    for source in SOURCES:
        (folder / "data" / "raw" / source).mkdir(parents=True, exist_ok=True)
        lines.append(f"| `data/raw/{source}/` | {SOURCE_HELP[source]} |")
    lines += ["", "Résultats : tables dans `data/processed/<millésime>/`, rapport et contrôles "
              "dans `reports/<millésime>/`."]
    write_text(folder / "README.md", "\n".join(lines) + "\n")
    return folder
