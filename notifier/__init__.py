"""policy-notifier: versioned legal policies in git, a published site, and proof of notice."""

from __future__ import annotations

__version__ = "0.1.0"

from notifier.compare import ClassifiedChange, Comparison, compare

__all__ = ["ClassifiedChange", "Comparison", "__version__", "compare"]
