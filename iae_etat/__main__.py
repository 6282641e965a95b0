"""Entry point for ``python -m iae_etat``."""

from iae_etat.cli import program

program()
