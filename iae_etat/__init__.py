"""iae-etat: état des lieux de l'offre d'insertion par l'activité économique (IAE)."""

__version__ = "0.1.0"
