"""Run-length defaults and work limits of the line simulation, defined once for every command.

``pouchline simulate``, ``plan``, ``cost --simulate``, the sweeps and the app should all take their
run length from here, so one line gives one set of figures unless a user asks for another run.
This module imports nothing, so a command can read the defaults for its ``--help`` without
loading SimPy, numpy or pint.

Why these values (for ``recipes/lines/gwh-line.yaml``; see ``benchmarks/bench_line.py``):

* ``DEFAULT_DAYS = 60``: two months of measured production. With five replications the 95 %
  interval of throughput is about +-0.3 % wide on the GWh line and ranks near-bottlenecks by
  their votes; a run costs about 1-2 s of one core.
* ``DEFAULT_WARMUP_DAYS = 7``: one calendar week, so the measured period starts at the same
  point of the weekly maintenance cycle in every replication. The simulation checks it with
  MSER-5 on the WIP series and warns when it is too short (:mod:`pouchline.line.stats`).
* ``DEFAULT_REPLICATIONS = 5``: confidence intervals come from independent replications
  (Student t with 4 degrees of freedom); one replication gives an interval only when batch
  means are valid (:func:`pouchline.line.stats.batch_means_ci`).
"""

from __future__ import annotations

#: Measured calendar days per replication, after the warm-up.
DEFAULT_DAYS: float = 60.0
#: Calendar days simulated first and left out of every statistic.
DEFAULT_WARMUP_DAYS: float = 7.0
#: Independent replications (each a different random-number stream of the same seed).
DEFAULT_REPLICATIONS: int = 5
#: Seed of the first replication's stream.
DEFAULT_SEED: int = 1

# ---- sizing and ramp-up: shorter runs, because they simulate many lines ------------------------
# ``pouchline size`` (and ``scaleup``, ``cost --simulate`` without a line, ``plan --target-GWh``)
# simulates the sized line once per machine it adds; ``pouchline rampup`` once per month. They
# keep the warm-up and the replications above (so the weekly maintenance cycle is aligned and the
# interval is a Student t over independent replications, honest however autocorrelated a run is)
# and measure fewer days: the lower 95 % bound the sizing meets is then a little lower for the same
# line (a wider interval), never biased. ``benchmarks/bench_size.py --coverage`` measures how often
# the sizing's interval covers the sized 1 GWh/yr line's long-run output.
#: Measured calendar days per replication of a sizing simulation.
SIZING_DAYS: float = 30.0
#: Warm-up days of a sizing simulation (one calendar week, as :data:`DEFAULT_WARMUP_DAYS`).
SIZING_WARMUP_DAYS: float = DEFAULT_WARMUP_DAYS
#: Replications of a sizing simulation.
SIZING_REPLICATIONS: int = DEFAULT_REPLICATIONS
#: Warm-up days before each simulated month of a ramp-up (each month starts from an empty line).
RAMP_WARMUP_DAYS: float = DEFAULT_WARMUP_DAYS
#: Replications per month of a ramp-up (the same seed every month: common random numbers, so the
#: month-to-month differences are not noise; fewer than the default because a ramp simulates many
#: months).
RAMP_REPLICATIONS: int = 3

# ---- limits on the work one request may start (checked before any simulation starts) ----------
#: Longest measured period or warm-up (days): ten years.
MAX_SIM_DAYS: float = 3660.0
#: Replications per experiment.
MAX_REPLICATIONS: int = 1000
#: Machine jobs plus failures one run may take (estimated from the stations' capacities, before
#: it starts). A year of the GWh line is about 1.1 million; this is about 14 years of it, a
#: couple of minutes on one core.
MAX_WORK_PER_RUN: int = 15_000_000
#: The same summed over every replication of an experiment (or a what-if's two experiments).
MAX_WORK_PER_EXPERIMENT: int = 60_000_000
#: Stations of one line.
MAX_STATIONS: int = 500
#: Machines of one station, and of the whole line (each machine is one SimPy process).
MAX_MACHINES_PER_STATION: int = 20_000
MAX_MACHINES_PER_LINE: int = 100_000
#: Whole-number fields counted in units (batch, lot, transfer quantity, kit) and buffer sizes.
MAX_UNITS_PER_BATCH: int = 10_000_000
MAX_BUFFER_UNITS: int = 10**12
