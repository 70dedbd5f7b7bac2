"""Engine checks of generated queries, one module per target (see base.py)."""
