"""Shipped pre-decoder weights (installed as the ``qec.models`` package); each has a card, NAME.md."""
