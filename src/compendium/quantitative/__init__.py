"""quantitative layer."""
