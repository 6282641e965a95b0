"""The published outputs beside the HTML report: dashboard, annexe 4 and, on demand, the PDF."""

from __future__ import annotations

from pathlib import Path

from iae_etat import referentiel
from iae_etat.catalogue import Catalogue
from iae_etat.config import Projet
from iae_etat.fichiers import write_bytes
from iae_etat.report import tableau_de_bord
from iae_etat.report.reglages import reglages


def secret_rule(projet: Projet) -> str:
    """The secrecy rule in one French sentence, with its source."""
    source = projet.secret.source or "configuration du projet"
    return (f"Secret statistique : aucun effectif de personnes de 1 à "
            f"{projet.secret.seuil_effectifs - 1} n'est publié, avec un second masquage pour "
            f"qu'une valeur masquée ne puisse pas être retrouvée par différence (source : "
            f"{source}).")


def territoire_label(projet: Projet) -> str:
    """The names of the project's départements."""
    names = referentiel.departements().set_index("code_departement")["nom_departement"]
    return ", ".join(str(names.get(code, code)) for code in projet.departements)


def write_outputs(projet: Projet, millesime: int, catalogue: Catalogue,
                  reports_dir: Path) -> list[Path]:
    """Write the dashboard (and the other outputs of this module) into ``reports_dir``."""
    from iae_etat.build import notice

    settings = reglages(projet)
    indicateurs = catalogue.read("out_indicateurs")
    dashboard = reports_dir / tableau_de_bord.NAME
    write_bytes(dashboard, tableau_de_bord.build_dashboard(
        indicateurs, catalogue.read("out_evolution"), catalogue.read("core_structures"),
        catalogue.read("core_territoires"), territoire=territoire_label(projet),
        millesime=millesime, diffusion=settings.diffusion, notice=notice(projet),
        secret_rule=secret_rule(projet)))
    return [dashboard]
