"""The cell format: from the recipe's single layer to the pouch cells a customer buys.

    from pouchline.cell import jellyroll, size_cell

* :mod:`~pouchline.cell.layers`: one layer per unit area (the paper's "jellyroll");
* :mod:`~pouchline.cell.anode`: the alloy's capacity from its lithiated end phases;
* :mod:`~pouchline.cell.pouch`: formats, layer count, stacking, margins, dimensions, masses;
* :mod:`~pouchline.cell.fixture`: clamp force, end plates and bolts;
* :mod:`~pouchline.cell.rate`: energy and charge time versus charge rate;
* :mod:`~pouchline.cell.formats`: the catalogue of named footprints (the only file reader).

Every function is pure over the recipe models; results are frozen dataclasses.
"""

from __future__ import annotations

from pouchline.cell.anode import (
    AnodeAlloy,
    END_PHASE_SCALE,
    anode_alloy,
    end_phase_capacity_mAh_g,
    scaled_end_phase_capacity_mAh_g,
)
from pouchline.cell.fixture import FixtureResult, bolt_count, design_fixture, plate_thickness_mm, roark_coefficients, \
    stack_force_kN
from pouchline.cell.formats import DEFAULT_FORMATS_PATH, CellFormat, FormatCatalogue, default_formats, load_formats
from pouchline.cell.layers import LayerResult, jellyroll
from pouchline.cell.pouch import (
    SCOPE_DESCRIPTIONS,
    SCOPES,
    Arrangement,
    CellResult,
    energy_density_vs_layers,
    resolve_footprint,
    size_cell,
    stacking_arrangement,
)
from pouchline.cell.rate import RatePoint, energy_frac_at_charge_min, rate_points, specific_power_W_kg, voltage_ratio

__all__ = [
    "AnodeAlloy", "Arrangement", "CellFormat", "CellResult", "DEFAULT_FORMATS_PATH", "END_PHASE_SCALE",
    "FixtureResult", "FormatCatalogue", "LayerResult", "RatePoint", "SCOPES", "SCOPE_DESCRIPTIONS", "anode_alloy", "bolt_count",
    "default_formats", "design_fixture", "end_phase_capacity_mAh_g", "energy_density_vs_layers", "energy_frac_at_charge_min", "jellyroll",
    "load_formats", "plate_thickness_mm", "rate_points", "resolve_footprint", "roark_coefficients",
    "scaled_end_phase_capacity_mAh_g", "size_cell", "specific_power_W_kg", "stack_force_kN", "stacking_arrangement",
    "voltage_ratio",
]
