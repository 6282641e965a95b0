"""The words of the domain, defined once: SIAE kinds, territory levels, publics, table names.

Every module that needs one of these names imports it from here; the indicator catalogue is
``iae_etat.common.indicators`` (read from ``schemas/indicateurs.yaml``).
"""

from __future__ import annotations

# The five kinds of SIAE (a structure is identified by SIRET and kind).
TYPES_SIAE = ("ACI", "AI", "EI", "ETTI", "EITI")
# The value of ``type_siae`` and ``public`` for totals.
ENSEMBLE = "ensemble"

LEVELS = ("commune", "epci", "arrondissement", "zone_emploi", "clpe", "departement")
LEVEL_LABELS = {"commune": "Commune", "epci": "EPCI", "arrondissement": "Arrondissement",
                "zone_emploi": "Zone d'emploi", "clpe": "CLPE", "departement": "Département"}
# Levels above the commune: amounts of one or two SIAE per commune would only be secret.
SUPRA_COMMUNAL = tuple(level for level in LEVELS if level != "commune")

# Publics: code → (questionnaire columns, columns of core_besoins for the same public among the
# demandeurs d'emploi ABC, or () when the needs do not describe it).
PUBLICS = {"brsa": (("brsa",), ()), "rqth": (("rqth",), ("de_rqth",)),
           "deld_detld": (("deld", "detld"), ("deld", "detld")),
           "residents_qpv": (("residents_qpv",), ()),
           "moins_26": (("age_moins_26",), ("de_moins_26",)),
           "50_plus": (("age_50_plus",), ("de_50_plus",)), "femmes": (("femmes",), ())}
PUBLIC_LABELS = {"brsa": "Bénéficiaires du RSA", "rqth": "Travailleurs handicapés (RQTH)",
                 "deld_detld": "Demandeurs d'emploi de longue durée (DELD et DETLD)",
                 "residents_qpv": "Résidents des QPV", "moins_26": "Jeunes de moins de 26 ans",
                 "50_plus": "Seniors de 50 ans et plus", "femmes": "Femmes"}
# Categories of sorties dynamiques (the numerator of the taux de sortie dynamique).
EXIT_CATEGORIES = ("sorties_durables", "sorties_transition", "sorties_positives")

# Tables read by several stages (the Parquet file, the contract and the catalogue key).
QUESTIONNAIRES = "raw_questionnaires"
QUESTIONNAIRES_RESIDENCE = "raw_questionnaires_residence"
CALAGE_GROUPS = "out_calage"  # calibration groups of the non-response (analyse → report)
SCENARIOS = "out_scenarios"  # the project's what-if files (scenarios stage → report)
SCENARIOS_HYPOTHESES = "out_scenarios_hypotheses"
SCENARIOS_RESULTS = "out_scenarios_resultats"
# The summary of the secrecy audit written by the analyse stage beside its tables (→ report,
# build.json).
AUDIT_FILE = "audit_secret.json"
