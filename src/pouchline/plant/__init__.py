"""The plant: machines per station for a target volume, sized on paper and checked by simulation.

::

    from pouchline.plant import size_plant

    res = size_plant(recipe, materials, cell, target_GWh_per_yr=1.0)   # SizingResult
    res.row()            # one row of a scale-up table (cells/yr, MWh/yr, capex, floor, operators, ...)
    res.line_yaml()      # a valid line file for `pouchline simulate`

Modules: :mod:`.design` (pure: what a machine does for a cell, the analytic plant),
:mod:`.sizing` (simulate and add capacity at the bottleneck until the target is met),
:mod:`.scaleup` (the sizing at several volumes, with material demand: ``scale_up``),
:mod:`.rampup` (a line from start of production to its mature figures, month by month: ``ramp_up``).
"""

from __future__ import annotations

from pouchline.plant.defaults import SIZING_DAYS, SIZING_REPLICATIONS, SIZING_WARMUP_DAYS


def __getattr__(name: str):  # load on use: .design imports the equipment catalogue (pint), the sizing the cost model
    if name in ("PlantDesign", "StationDesign", "design_plant", "step_branch"):
        from pouchline.plant import design

        return getattr(design, name)
    if name in ("SizingResult", "StationSizing", "size_plant"):
        from pouchline.plant import sizing

        return getattr(sizing, name)
    if name in ("ScaleUpResult", "scale_up"):
        from pouchline.plant import scaleup

        return getattr(scaleup, name)
    if name in ("RampUpResult", "ramp_up"):
        from pouchline.plant import rampup

        return getattr(rampup, name)
    raise AttributeError(name)


__all__ = ["SIZING_DAYS", "SIZING_REPLICATIONS", "SIZING_WARMUP_DAYS", "PlantDesign", "RampUpResult", "ScaleUpResult", "SizingResult", "StationDesign", "StationSizing",
           "design_plant", "ramp_up", "scale_up", "size_plant", "step_branch"]
