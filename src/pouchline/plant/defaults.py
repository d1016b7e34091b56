"""Run length of the plant-sizing simulation, in a module that imports nothing.

``pouchline size`` and ``scaleup`` read these for their ``--help`` without loading the equipment
catalogue (pint, pydantic); :mod:`pouchline.plant.sizing` uses and re-exports them.
"""

from __future__ import annotations

#: Run length of the sizing simulation, shared by ``pouchline size``, ``scaleup``, ``cost --simulate``
#: without a line, and the app: measured days per replication, warm-up days, replications.
SIZING_DAYS = 30.0
SIZING_WARMUP_DAYS = 5.0
SIZING_REPLICATIONS = 5
