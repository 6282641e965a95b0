"""The analysis: offer against needs per territory, and the secrecy applied before publishing."""
