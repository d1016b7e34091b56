"""Run length of the plant-sizing simulation: the constants of :mod:`pouchline.line.defaults`
(``SIZING_DAYS``, ``SIZING_WARMUP_DAYS``, ``SIZING_REPLICATIONS``), re-exported here for the plant
package. Both modules import nothing heavy, so ``pouchline size --help`` stays fast.
"""

from __future__ import annotations

from pouchline.line.defaults import SIZING_DAYS, SIZING_REPLICATIONS, SIZING_WARMUP_DAYS

__all__ = ["SIZING_DAYS", "SIZING_REPLICATIONS", "SIZING_WARMUP_DAYS"]
