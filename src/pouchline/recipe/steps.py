"""Process steps: one typed model per step kind (ISA-88 'operations' of the master recipe).

Every parameter is a :class:`~pouchline.recipe.params.Param` whose canonical unit is the suffix
of its field name. Parameters that the paper does not give carry an ``assumed:`` or
``estimate:`` source so that nobody mistakes them for measured values. Every number is finite and
within a physical range; a rolling schedule has at most :data:`MAX_ROLLING_PASSES` passes (checked
before the schedule is built, so a reduction of 1e-6 per pass is refused at once, not computed).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pouchline.recipe.conversions import max_draft_um, rolling_passes, rolling_schedule_um
from pouchline.recipe.params import Check, P, Param, count

Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

#: Most passes a rolling schedule may have (estimate: a mill schedule has ~5-20; 100 is far beyond
#: any real one and keeps a typo such as a 1e-6 reduction per pass from building millions of passes).
MAX_ROLLING_PASSES = 100


class StepBase(BaseModel):
    """What every step has: identity, where it runs, what it consumes, checks and safety."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: Slug
    name: str = Field(min_length=1, max_length=200)
    atmosphere: Slug = Field(description="id of an entry of the recipe's atmospheres")
    equipment: str = Field(default="", max_length=200)
    inputs: list[Slug] = Field(default_factory=list, description="material ids consumed at this step")
    output: str = Field(default="", max_length=200, description="what leaves the step")
    checks: list[Check] = Field(default_factory=list)
    safety: list[Slug] = Field(default_factory=list, description="ids of the recipe's safety notes")
    notes: str = Field(default="", max_length=2000)
    max_open_time_min: P("min", gt=0, le=10_000) | None = Field(
        default=None,
        description="longest time the sulfide may stand open to the room's air in this step (a dry room's "
                    "exposure limit); the traveler asks for the actual time",
    )

    def parameters(self) -> dict[str, Param]:
        """The step's process parameters, by field name, in declaration order."""
        out: dict[str, Param] = {}
        for name in type(self).model_fields:
            v = getattr(self, name)
            if isinstance(v, Param):
                out[name] = v
        return out


class AlloyPreparation(StepBase):
    """Mix In, Sn, Bi particles at the nominal atomic ratio and alloy them (Liu2025 Methods: 300 °C, 1 h, Ar)."""

    kind: Literal["alloy_preparation"] = "alloy_preparation"
    product: Slug = Field(description="material id of the alloy made (its composition is in the library)")
    temperature_C: P("C", gt=0, le=1500)
    duration_min: P("min", gt=0, le=100_000)
    cooling: str = "cool to room temperature in Ar"


class MeltCast(StepBase):
    """Melt the alloy and spread it on the Cu foil (Liu2025 Methods: tube furnace, 88 °C, in air)."""

    kind: Literal["melt_cast"] = "melt_cast"
    alloy: Slug
    substrate: Slug = Field(description="material id of the foil cast on")
    temperature_C: P("C", gt=0, le=1500)
    max_temperature_C: float = Field(
        default=200.0, gt=0, le=1500,
        description="sane ceiling for the melt in air, °C (estimate: In/Sn oxidation and Bi fuming "
        "grow above ~200 °C; the paper casts at 88 °C)",
    )
    substrate_thickness_um: P("um", ge=1, le=1000)
    cast_thickness_um: P("um", ge=1, le=100_000)
    substrate_preheat_C: P("C", ge=0, le=1500) | None = None


class Quench(StepBase):
    """Freeze the cast layer on a steel plate in contact with ice water."""

    kind: Literal["quench"] = "quench"
    medium: str = "ice-water"
    plate: str = "steel plate"
    plate_temperature_C: P("C", ge=-100, lt=85)
    contact_time_s: P("s", gt=0, le=86_400)


class RollingSchedule(StepBase):
    """Roll the cast alloy on its Cu carrier down to the target thickness, pass by pass.

    ``passes_um`` may list the exit thickness of every pass; otherwise the schedule is the
    fewest equal-reduction passes at no more than ``reduction_per_pass_frac``.
    """

    kind: Literal["rolling_schedule"] = "rolling_schedule"
    start_thickness_um: P("um", ge=0.1, le=100_000)
    target_thickness_um: P("um", ge=0.1, le=100_000)
    reduction_per_pass_frac: P("frac", gt=0, lt=1)
    max_reduction_per_pass_frac: float = Field(
        default=0.40, gt=0, lt=1,
        description="mill and workability limit (estimate: 20-30 % default, <= 40 %; worked Sn-Bi is ductile)",
    )
    roll_diameter_mm: P("mm", ge=1, le=5000)
    friction_coefficient: float = Field(default=0.1, gt=0, lt=1)
    passes_um: list[Annotated[float, Field(gt=0, le=100_000)]] | None = Field(
        default=None, max_length=MAX_ROLLING_PASSES, description="exit thickness of each pass, um")

    @model_validator(mode="after")
    def _schedule(self) -> "RollingSchedule":
        start, target = self.start_thickness_um.target, self.target_thickness_um.target
        if target >= start:
            raise ValueError(
                f"target_thickness_um: {target:g} um is not below start_thickness_um {start:g} um; "
                "rolling only thins"
            )
        if self.reduction_per_pass_frac.target > self.max_reduction_per_pass_frac:
            raise ValueError(
                f"reduction_per_pass_frac: {self.reduction_per_pass_frac.target:g} exceeds the mill's "
                f"limit of {self.max_reduction_per_pass_frac:g} per pass"
            )
        if not self.passes_um:
            n = rolling_passes(start, target, self.reduction_per_pass_frac.target)
            if n > MAX_ROLLING_PASSES:
                r = self.reduction_per_pass_frac.target
                need = 1.0 - (target / start) ** (1.0 / MAX_ROLLING_PASSES)
                count = "over a trillion" if n >= 10**12 else f"{n:,}"
                raise ValueError(
                    f"reduction_per_pass_frac: {r:g} per pass takes {count} passes from {start:g} to {target:g} um; "
                    f"a schedule may have at most {MAX_ROLLING_PASSES} passes (at least {need:.3g} per pass here)")
        draft_limit = max_draft_um(self.friction_coefficient, self.roll_diameter_mm.target)
        prev = start
        for i, h in enumerate(self.schedule_um()):
            red = 1 - h / prev
            if h >= prev:
                raise ValueError(f"passes_um[{i}]: {h:g} um does not thin the {prev:g} um entering the pass")
            if red > self.max_reduction_per_pass_frac + 1e-9:
                raise ValueError(
                    f"passes_um[{i}]: {prev:g} -> {h:g} um is a {red:.0%} reduction; the limit is "
                    f"{self.max_reduction_per_pass_frac:.0%} per pass"
                )
            if prev - h > draft_limit + 1e-9:
                raise ValueError(
                    f"passes_um[{i}]: draft {prev - h:g} um exceeds mu^2 R = {draft_limit:g} um "
                    f"(mu {self.friction_coefficient:g}, roll diameter {self.roll_diameter_mm.target:g} mm)"
                )
            prev = h
        if self.passes_um and abs(self.passes_um[-1] - target) > max(self.target_thickness_um.tol or 0, 1e-6):
            raise ValueError(
                f"passes_um: the last pass ends at {self.passes_um[-1]:g} um, not at the target "
                f"{target:g} um (± {self.target_thickness_um.tol or 0:g})"
            )
        return self

    def schedule_um(self) -> list[float]:
        """Exit thickness after each pass, um."""
        if self.passes_um:
            return list(self.passes_um)
        return rolling_schedule_um(
            self.start_thickness_um.target, self.target_thickness_um.target, self.reduction_per_pass_frac.target
        )

    @property
    def n_passes(self) -> int:
        if self.passes_um:
            return len(self.passes_um)
        return rolling_passes(
            self.start_thickness_um.target, self.target_thickness_um.target, self.reduction_per_pass_frac.target
        )


class Punching(StepBase):
    """Punch or cut a part to size."""

    kind: Literal["punching"] = "punching"
    part: str = Field(min_length=1, max_length=64)
    length_mm: P("mm", ge=0.1, le=5000)
    width_mm: P("mm", ge=0.1, le=5000)

    @property
    def area_cm2(self) -> float:
        return self.length_mm.target * self.width_mm.target / 100.0


class FilmFibrillation(StepBase):
    """Dry-mix Li6PS5Cl with PTFE and fibrillate the PTFE by ball milling."""

    kind: Literal["film_fibrillation"] = "film_fibrillation"
    electrolyte: Slug
    binder: Slug
    binder_frac: P("frac", gt=0, lt=0.2)
    mill_speed_rpm: P("rpm", gt=0, le=100_000)
    duration_min: P("min", gt=0, le=100_000)


class FilmRolling(StepBase):
    """Roll the fibrillated mixture into a free-standing electrolyte film."""

    kind: Literal["film_rolling"] = "film_rolling"
    loading_mg_cm2: P("mg_cm2", ge=0.01, le=1000)
    thickness_um: P("um", ge=1, le=10_000)


class CathodeBlending(StepBase):
    """Blend the cathode composite into one flake. The composition is the cell design's."""

    kind: Literal["cathode_blending"] = "cathode_blending"
    duration_min: P("min", gt=0, le=100_000) | None = None


class HotRolling(StepBase):
    """Repeated hot rolling of the cathode flake to the target loading and thickness."""

    kind: Literal["hot_rolling"] = "hot_rolling"
    temperature_C: P("C", gt=0, le=600)
    passes: count(1, 100, description="rolling passes")
    active_loading_mg_cm2: P("mg_cm2", ge=0.01, le=1000)
    thickness_um: P("um", ge=1, le=100_000)


class Prelithiation(StepBase):
    """Prelithiate the alloy by contact with Li foil under pressure (Liu2025 Methods: 20 MPa, 120 min)."""

    kind: Literal["prelithiation"] = "prelithiation"
    lithium_source: Slug
    pressure_MPa: P("MPa", gt=0, le=5000)
    duration_min: P("min", gt=0, le=100_000)
    depth_frac: P("frac", gt=0, le=1) = Field(description="fraction of the anode's capacity filled with Li")
    final_press_MPa: P("MPa", gt=0, le=5000) | None = None
    final_press_min: P("min", gt=0, le=100_000) | None = None


class Stacking(StepBase):
    """Stack cathode / electrolyte film / anode layers."""

    kind: Literal["stacking"] = "stacking"
    order: list[Literal["cathode", "electrolyte_film", "anode"]] = Field(min_length=3, max_length=3)
    alignment_tol_mm: P("mm", gt=0, le=100)

    @field_validator("order")
    @classmethod
    def _all_three(cls, v: list[str]) -> list[str]:
        if sorted(v) != ["anode", "cathode", "electrolyte_film"]:
            raise ValueError(f"order must name cathode, electrolyte_film and anode once each, got {v}")
        if v[1] != "electrolyte_film":
            raise ValueError(f"the electrolyte film must lie between the electrodes, got {v}")
        return v


class Sealing(StepBase):
    """Seal the stack in the Al-laminate pouch."""

    kind: Literal["sealing"] = "sealing"
    temperature_C: P("C", gt=0, le=600)
    duration_s: P("s", gt=0, le=86_400)
    pressure_MPa: P("MPa", gt=0, le=1000)
    seal_width_mm: P("mm", gt=0, le=100)
    vacuum_kPa: P("kPa", ge=0, le=200) | None = None


class Clamping(StepBase):
    """Clamp the sealed pouch between steel end plates at the stack pressure."""

    kind: Literal["clamping"] = "clamping"
    pressure_MPa: P("MPa", gt=0, le=1000)
    fixture_rated_pressure_MPa: float = Field(gt=0, le=5000, description="what the fixture is designed to hold, MPa")
    plates: str = "steel end plates"
    bolts: str = ""

    @model_validator(mode="after")
    def _fixture_holds(self) -> "Clamping":
        if self.pressure_MPa.upper > self.fixture_rated_pressure_MPa:
            raise ValueError(
                f"pressure_MPa: {self.pressure_MPa.upper:g} MPa (target + tolerance) exceeds the "
                f"fixture's rating of {self.fixture_rated_pressure_MPa:g} MPa"
            )
        return self


class Formation(StepBase):
    """First cycles under stack pressure at temperature."""

    kind: Literal["formation"] = "formation"
    temperature_C: P("C", ge=-60, le=150)
    c_rate: P("C_rate", gt=0, le=100)
    cycles: count(1, 100, description="formation cycles")
    upper_voltage_V: P("V", gt=0, le=10)
    lower_voltage_V: P("V", ge=0, le=10)
    pressure_MPa: P("MPa", gt=0, le=1000)

    @model_validator(mode="after")
    def _window(self) -> "Formation":
        if self.lower_voltage_V.target >= self.upper_voltage_V.target:
            raise ValueError(
                f"lower_voltage_V {self.lower_voltage_V.target:g} V must be below upper_voltage_V "
                f"{self.upper_voltage_V.target:g} V"
            )
        return self


class Release(StepBase):
    """End-of-line test and lot release: the formed cell at its shipping state of charge, rested, aged.

    The acceptance criteria are the step's ``checks`` (OCV after rest, self-discharge as the
    K-value over ``aging_h``, leak, visual) with the formation's capacity and coulombic efficiency
    windows; the traveler's lot release needs every one. The AC resistance limit is written per
    area (``acr_max_ohm_cm2``) so that it holds for any format: the cell's limit in mΩ is that over
    the stack's electrode area (layers x electrode area, the layers in parallel), see
    :meth:`acr_max_mohm`.
    """

    kind: Literal["release"] = "release"
    state_of_charge_frac: P("frac", gt=0, le=1) = Field(description="state of charge the cell is tested and shipped at")
    rest_h: P("h", ge=0, le=10_000) = Field(description="rest after charging, before the first OCV and the ACR")
    aging_h: P("h", gt=0, le=10_000) = Field(description="time between the two OCV readings of the K-value")
    acr_max_ohm_cm2: P("ohm_cm2", gt=0, le=1000) = Field(
        description="largest area-specific AC resistance (1 kHz) accepted, ohm cm2 of one layer's electrode")

    def acr_max_mohm(self, stack_area_cm2: float) -> float:
        """The cell's AC-resistance limit, mΩ: ``acr_max_ohm_cm2`` over the stack's electrode area.

        2.0 Ω·cm² over ten 300 cm² layers in parallel (3,000 cm²) is 0.667 mΩ.
        """
        if not stack_area_cm2 > 0:
            raise ValueError(f"stack area {stack_area_cm2!r} cm2 must be > 0")
        return self.acr_max_ohm_cm2.target / stack_area_cm2 * 1000.0


Step = Annotated[
    Union[
        AlloyPreparation,
        MeltCast,
        Quench,
        RollingSchedule,
        Punching,
        FilmFibrillation,
        FilmRolling,
        CathodeBlending,
        HotRolling,
        Prelithiation,
        Stacking,
        Sealing,
        Clamping,
        Formation,
        Release,
    ],
    Field(discriminator="kind"),
]

STEP_KINDS: dict[str, type[StepBase]] = {
    cls.model_fields["kind"].default: cls
    for cls in (AlloyPreparation, MeltCast, Quench, RollingSchedule, Punching, FilmFibrillation, FilmRolling,
                CathodeBlending, HotRolling, Prelithiation, Stacking, Sealing, Clamping, Formation, Release)
}
