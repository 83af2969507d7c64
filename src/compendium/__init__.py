"""Research compendium for the study of medical learners' anti-racist activism.

The package holds all analysis logic; the notebooks under ``notebooks/`` are thin
narrative layers over it, executed by papermill inside the DVC pipeline.
"""

__version__ = "0.1.0"
