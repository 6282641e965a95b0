"""Contacts of the SIAE for the questionnaire campaign, when the SIAE list gives them.

The ASP list has no contact; a list completed by the DDETS (or any CSV of the structures folder
read by the ``structures`` adapter) may carry an e-mail and a telephone column, named as the
adapter's ``contacts`` option says. They are read only for ``iae-etat campagne`` and never go
into a table of ``data/processed/`` or into the report.
"""

from __future__ import annotations

import pandas as pd

from iae_etat.project.config import Projet
from iae_etat.sources import adapters
from iae_etat.territoires.codes import normalise_siret

CONTACT_COLUMNS = ["siret", "type_siae", "courriel", "telephone"]


def read_contacts(projet: Projet, millesime: int) -> pd.DataFrame:
    """(SIRET, type) → courriel, téléphone, from the CSV files of the SIAE list of ``millesime``
    (first non-empty value of each structure; empty when no file has a contact column)."""
    adapter = adapters.load_adapter("structures", projet.dir)
    wanted = {key: [adapters.normalise_header(h) for h in headers]
              for key, headers in (adapter.options.get("contacts") or {}).items()}
    frames = []
    for path in adapters.find_files(adapter, projet.raw_dir(adapter.source, millesime)):
        try:
            frame = pd.read_csv(path, sep=adapter.separateur, dtype=str, encoding=adapter.encodage,
                                keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError, OSError):
            continue  # the ingest reports the file; the campaign only lacks its contacts
        frame.columns = [adapters.normalise_header(c) for c in frame.columns]
        siret = adapters.normalise_header(adapter.colonnes["siret"])
        kind = adapters.normalise_header(adapter.colonnes["type_siae"])
        found = {key: next((h for h in headers if h in frame.columns), None)
                 for key, headers in wanted.items()}
        if siret not in frame.columns or kind not in frame.columns or not any(found.values()):
            continue
        out = pd.DataFrame({"siret": frame[siret].map(normalise_siret),
                            "type_siae": frame[kind].str.strip().str.upper()})
        for key in ("courriel", "telephone"):
            column = found.get(key)
            out[key] = frame[column].str.strip() if column else ""
        frames.append(out)
    if not frames:
        return pd.DataFrame(columns=CONTACT_COLUMNS)
    out = pd.concat(frames, ignore_index=True).dropna(subset=["siret"])
    out = out[(out["courriel"] != "") | (out["telephone"] != "")]
    return out.drop_duplicates(["siret", "type_siae"]).reset_index(drop=True)
