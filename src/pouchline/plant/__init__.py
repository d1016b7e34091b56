"""The plant: machines per station for a target volume, sized on paper and checked by simulation.

::

    from pouchline.plant import size_plant

    res = size_plant(recipe, materials, cell, target_GWh_per_yr=1.0)   # SizingResult
    res.row()            # one row of a scale-up table (cells/yr, MWh/yr, capex, floor, operators, ...)
    res.line_yaml()      # a valid line file for `pouchline simulate`

Modules: :mod:`.design` (pure: what a machine does for a cell, the analytic plant),
:mod:`.sizing` (simulate and add capacity at the bottleneck until the target is met).
"""

from __future__ import annotations

from pouchline.plant.design import PlantDesign, StationDesign, design_plant, step_branch


def __getattr__(name: str):  # the sizing imports the cost model, which imports .design: load it on use
    if name in ("SizingResult", "StationSizing", "size_plant"):
        from pouchline.plant import sizing

        return getattr(sizing, name)
    raise AttributeError(name)


__all__ = ["PlantDesign", "SizingResult", "StationDesign", "StationSizing", "design_plant", "size_plant",
           "step_branch"]
