"""Rate capability: energy and charge time versus charge rate, from the paper's retention data.

The paper charges at each rate (3-min CV end) and discharges at 0.5 C; it reports the capacity
retained against the 0.2 C reference (Fig. 6b: 94.9 ... 72.0 % at 0.5 ... 6 C) and the charge
times. Energy at a rate is

    E(rate) = retention x Q_ref x V_ref x v(rate),   v = 1 - s x (1 - retention)

a voltage ratio linear in the capacity lost. The slope ``s`` comes from the recipe
(``cell.rate_capability.voltage_ratio_slope``; 0.0333 fits the paper's 5 C point, where
203.1 Wh/kg = 278.4 x 0.736 x 0.991, Liu2025 Fig. 6b). Charge times are the paper's minutes
where measured, else 60 x retention / rate (within 3 % of Liu2025 Fig. 6b to 3 C; docs/model.md#the-rate-table).
"""

from __future__ import annotations

from dataclasses import dataclass

from pouchline.recipe.design import RateCapability


@dataclass(frozen=True)
class RatePoint:
    """One charge rate: capacity and energy as fractions of the reference-rate values."""

    c_rate: float
    retention_frac: float
    voltage_ratio: float
    energy_frac: float
    charge_min: float
    charge_min_measured: bool


def voltage_ratio(retention_frac: float, slope: float) -> float:
    """Average voltage at a rate over the reference voltage: 1 - slope x (1 - retention)."""
    return 1.0 - slope * (1.0 - retention_frac)


def estimated_charge_min(retention_frac: float, c_rate: float) -> float:
    """Charge time, min, of a constant-current charge to ``retention`` at ``c_rate`` (1 C = 60 min).

    The paper's times (Liu2025 Fig. 6b) match this within 3 % to 3 C; its CV step makes 4-6 C
    5-11 % longer.
    """
    return 60.0 * retention_frac / c_rate


def rate_points(rc: RateCapability) -> list[RatePoint]:
    """The recipe's rate points with voltage ratio, energy fraction and charge time."""
    slope = rc.voltage_ratio_slope.target if rc.voltage_ratio_slope is not None else 0.0
    out = []
    for p in rc.points:
        vr = voltage_ratio(p.retention_frac, slope)
        measured = p.charge_min is not None
        t = p.charge_min if measured else estimated_charge_min(p.retention_frac, p.c_rate)
        out.append(RatePoint(c_rate=p.c_rate, retention_frac=p.retention_frac, voltage_ratio=vr,
                             energy_frac=p.retention_frac * vr, charge_min=float(t), charge_min_measured=measured))
    return out


def energy_frac_at_charge_min(points: list[RatePoint], minutes: float) -> float | None:
    """Energy fraction (of the reference) delivered after a charge of ``minutes``.

    Linear interpolation in charge time between the rate points; ``None`` outside the measured
    range (no extrapolation: a 5-minute charge is not in the paper's data).
    """
    pts = sorted(points, key=lambda p: p.charge_min)
    if not pts or minutes < pts[0].charge_min or minutes > pts[-1].charge_min:
        return None
    for a, b in zip(pts, pts[1:]):
        if a.charge_min <= minutes <= b.charge_min:
            if b.charge_min == a.charge_min:
                return max(a.energy_frac, b.energy_frac)
            w = (minutes - a.charge_min) / (b.charge_min - a.charge_min)
            return a.energy_frac + w * (b.energy_frac - a.energy_frac)
    return pts[0].energy_frac


def c_rate_at_charge_min(points: list[RatePoint], minutes: float) -> float | None:
    """Charge rate that fills the cell in ``minutes`` (interpolated like the energy), or None."""
    pts = sorted(points, key=lambda p: p.charge_min)
    if not pts or minutes < pts[0].charge_min or minutes > pts[-1].charge_min:
        return None
    for a, b in zip(pts, pts[1:]):
        if a.charge_min <= minutes <= b.charge_min:
            if b.charge_min == a.charge_min:
                return a.c_rate
            w = (minutes - a.charge_min) / (b.charge_min - a.charge_min)
            return a.c_rate + w * (b.c_rate - a.c_rate)
    return pts[0].c_rate


def specific_power_W_kg(c_rate: float, one_c_mAh_g: float, active_loading_mg_cm2: float, voltage_V: float,
                        areal_mass_mg_cm2: float) -> float:
    """Specific power at a C-rate on the C-rate convention's current (docs/model.md#specific-power-at-6-c).

    6 x 145 mAh/g x 21.0 mg/cm2 = 18.27 mA/cm2 at 3.62 V over 42.79 mg/cm2 is 1545.3 W/kg.
    """
    current_mA_cm2 = c_rate * one_c_mAh_g * active_loading_mg_cm2 / 1000.0
    return current_mA_cm2 * voltage_V / areal_mass_mg_cm2 * 1000.0


__all__ = ["RatePoint", "c_rate_at_charge_min", "energy_frac_at_charge_min", "estimated_charge_min", "rate_points",
           "specific_power_W_kg", "voltage_ratio"]
