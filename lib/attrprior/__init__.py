"""attrprior: one attribution core and one prior API for five attribution-prior papers."""
from __future__ import annotations

__version__ = "0.1.0"
