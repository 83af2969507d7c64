"""mixed layer."""
