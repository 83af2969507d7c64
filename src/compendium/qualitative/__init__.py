"""qualitative layer."""
