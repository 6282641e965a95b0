"""What ``iae-etat status`` tells: per millésime, what is built, stale, collected and wrong."""

from __future__ import annotations

import json

from iae_etat.pipeline import incremental
from iae_etat.pipeline.build import MANIFEST, stale_stages
from iae_etat.project.config import Projet


def project_status(projet: Projet) -> list[dict]:
    """One entry per millésime present, oldest first."""
    entries = []
    for millesime in projet.millesimes():
        folder = projet.raw_dir("questionnaires", millesime)
        deposited = sum(1 for p in folder.iterdir() if p.is_file()) if folder.is_dir() else 0
        entry = {"millesime": millesime, "questionnaires_deposes": deposited,
                 "etapes_a_refaire": stale_stages(projet, millesime), "derniere_construction": None}
        manifest = projet.reports_dir(millesime) / MANIFEST
        if manifest.is_file():
            content = json.loads(manifest.read_text("utf-8"))
            entry["derniere_construction"] = content.get("date_build")
        state = incremental.load_state(projet.processed_dir(millesime))
        resume = state.get("resume", {})
        for key in ("questionnaires_retenus", "erreurs", "avertissements", "sources_absentes"):
            if key in resume:
                entry[key] = resume[key]
        structures = projet.processed_dir(millesime) / "core_structures.parquet"
        if structures.is_file():
            import pandas as pd

            answered = pd.read_parquet(structures, columns=["a_repondu"])["a_repondu"]
            entry["siae"] = int(len(answered))
            entry["siae_sans_questionnaire"] = int((~answered.astype(bool)).sum())
        collecte = projet.processed_dir(millesime) / "core_collecte.parquet"
        if collecte.is_file():
            entry["campagne"] = campaign_progress(collecte)
        entries.append(entry)
    return entries


def campaign_progress(path) -> dict[str, int]:
    """The campaign at the last build, per SIAE: accepted, to correct, without an answer (the
    states of ``iae-etat campagne``, which reads the files as they are now)."""
    import pandas as pd

    collecte = pd.read_parquet(path, columns=["siret", "type_siae", "statut", "erreurs"])
    collecte = collecte[collecte["siret"].notna()]
    kept = collecte[collecte["statut"] == "retenu"]
    answered = set(zip(collecte.loc[collecte["statut"] != "manquant", "siret"],
                       collecte.loc[collecte["statut"] != "manquant", "type_siae"], strict=True))
    accepted = int((kept["erreurs"] == 0).sum())
    return {"acceptes": accepted, "a_corriger": len(answered) - accepted,
            "sans_reponse": int((collecte["statut"] == "manquant").sum())}
