"""Scheduled time and calendar time.

The simulation runs on *scheduled* (working) time only: off-shift and planned-maintenance hours
are cut out, because during them the whole line stands still (see
:class:`~pouchline.line.model.Calendar`). That is exact under the calendar's assumption and costs
no simulation events. :class:`ShiftClock` maps scheduled seconds to calendar seconds and back, to
report lead times, daily output and per-calendar-hour rates.
"""

from __future__ import annotations

import bisect
import math

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from pouchline.line.model import Calendar

WEEK_S = 7 * 86400.0
DAY_S = 86400.0
#: Two times within this many seconds of a window's end count as at its end (floating-point rounding).
BOUNDARY_S = 1e-6


class ShiftClock:
    """Piecewise-linear map between scheduled seconds and calendar seconds for one calendar."""

    def __init__(self, calendar: "Calendar") -> None:
        windows = calendar.scheduled_windows_h()
        self.starts_s = np.array([a * 3600.0 for a, _ in windows])
        lengths = np.array([(b - a) * 3600.0 for a, b in windows])
        self.cum_s = np.concatenate(([0.0], np.cumsum(lengths)))[:-1]
        self.lengths_s = lengths
        self.week_scheduled_s = float(lengths.sum())
        self.fraction = self.week_scheduled_s / WEEK_S
        self._starts = self.starts_s.tolist()
        self._cum = self.cum_s.tolist()
        self._lengths = lengths.tolist()
        #: True for a 24/7 calendar without planned maintenance (scheduled = calendar time).
        self.is_continuous = math.isclose(self.fraction, 1.0)

    def to_calendar_s(self, t_sched: np.ndarray | float) -> np.ndarray:
        """Calendar seconds at which the line has worked ``t_sched`` scheduled seconds.

        The end of a working window maps to the end of that window (not the next start).
        """
        t = np.asarray(t_sched, dtype=float)
        if self.is_continuous:
            return t.copy()
        week = np.floor(t / self.week_scheduled_s)
        r = t - week * self.week_scheduled_s
        at_week_end = (r == 0.0) & (t > 0.0)  # the end of a week's last window, not the next start
        week = np.where(at_week_end, week - 1.0, week)
        r = np.where(at_week_end, self.week_scheduled_s, r)
        i = np.clip(np.searchsorted(self.cum_s, r, side="left") - 1, 0, len(self.cum_s) - 1)
        return week * WEEK_S + self.starts_s[i] + (r - self.cum_s[i])

    def to_scheduled_s(self, t_cal: np.ndarray | float) -> np.ndarray:
        """Scheduled seconds the line has worked by calendar second ``t_cal``."""
        t = np.asarray(t_cal, dtype=float)
        if self.is_continuous:
            return t.copy()
        week = np.floor(t / WEEK_S)
        r = (t - week * WEEK_S)[..., None]
        inside = np.clip(r - self.starts_s, 0.0, self.lengths_s).sum(axis=-1)
        return week * self.week_scheduled_s + inside

    def calendar_day(self, t_sched: float) -> int:
        """Index of the calendar day (from 0) in which scheduled second ``t_sched`` falls."""
        if self.is_continuous:
            return int(t_sched // DAY_S)
        week, r = divmod(t_sched, self.week_scheduled_s)
        i = max(bisect.bisect_right(self._cum, r) - 1, 0)
        return int((week * WEEK_S + self._starts[i] + (r - self._cum[i])) // DAY_S)

    # scalar versions for the simulation loop ------------------------------------------------
    def start_calendar_s(self, t_sched: float) -> float:
        """Calendar second at which work starting at scheduled second ``t_sched`` starts.

        At a window's end this is the next window's start (nothing starts off-shift).
        """
        if self.is_continuous:
            return t_sched
        week, r = divmod(t_sched, self.week_scheduled_s)
        i = max(bisect.bisect_right(self._cum, r) - 1, 0)
        offset = r - self._cum[i]
        # within rounding of a window's end: the next window's start. Without this, a job that ends
        # off shift could take zero scheduled time from a boundary, and an unattended machine would
        # start zero-length jobs for ever.
        if offset >= self._lengths[i] - BOUNDARY_S:
            i += 1
            offset = 0.0
            if i == len(self._starts):
                i, week = 0, week + 1
        return week * WEEK_S + self._starts[i] + offset

    def scheduled_at(self, t_cal: float) -> float:
        """Scheduled seconds worked by calendar second ``t_cal`` (scalar :meth:`to_scheduled_s`)."""
        if self.is_continuous:
            return t_cal
        week, r = divmod(t_cal, WEEK_S)
        i = bisect.bisect_right(self._starts, r) - 1  # the last window starting at or before r
        if i < 0:
            return week * self.week_scheduled_s
        inside = r - self._starts[i]
        length = self._lengths[i]
        return week * self.week_scheduled_s + self._cum[i] + (inside if inside < length else length)

    def off_shift_duration_s(self, t_sched: float, duration_cal_s: float) -> float:
        """Scheduled seconds taken by a job that runs ``duration_cal_s`` of calendar time through
        off-shift hours, started at scheduled second ``t_sched``: it ends when it is done, or at
        the next shift's start if it is done off-shift (nobody unloads it at night)."""
        if self.is_continuous:
            return duration_cal_s
        # scheduled_at(start_calendar_s(t_sched) + duration_cal_s) - t_sched, both written out (the
        # same operations in the same order, so the same result to the bit): called once per job
        # of every unattended machine
        ws, starts, cum, lengths = self.week_scheduled_s, self._starts, self._cum, self._lengths
        week, r = divmod(t_sched, ws)
        i = bisect.bisect_right(cum, r) - 1
        if i < 0:
            i = 0
        offset = r - cum[i]
        if offset >= lengths[i] - BOUNDARY_S:
            i += 1
            offset = 0.0
            if i == len(starts):
                i, week = 0, week + 1
        end_cal = week * WEEK_S + starts[i] + offset + duration_cal_s
        week, r = divmod(end_cal, WEEK_S)
        i = bisect.bisect_right(starts, r) - 1
        if i < 0:
            return week * ws - t_sched
        inside = r - starts[i]
        length = lengths[i]
        return week * ws + cum[i] + (inside if inside < length else length) - t_sched

    def off_shift_speedup(self, duration_cal_s: float) -> float:
        """Jobs per scheduled hour of a machine running through off-shift hours, over jobs per hour
        of one that stops with the shift (1 for a 24/7 calendar). Back-to-back, without failures.

        Window by window, not job by job: in a working window ``[a, b)`` a machine free at ``t``
        starts ``k = ceil((b - t) / d)`` jobs of calendar duration ``d`` back to back; the last one
        ends at ``e = t + k d``, and the next job starts at ``e`` if that is inside a working window,
        else at the next window's start (nobody unloads it off shift). Over :data:`SPEEDUP_WEEKS`
        weeks the work is a few hundred steps whatever ``d`` is (a job of 0.01 s or of a month).
        """
        if self.is_continuous or not duration_cal_s > 0:
            return 1.0
        d = float(duration_cal_s)
        horizon = SPEEDUP_WEEKS * WEEK_S
        t, jobs = float(self._starts[0]), 0.0
        while t < horizon:
            end = self._window_end_cal(t)
            k = max(1.0, math.ceil((end - t - BOUNDARY_S) / d))  # a job starting at the end starts next shift
            jobs += k
            e = t + k * d  # the last job's end, at or after the window's end
            if e <= end + BOUNDARY_S:  # ends with the window (within rounding): next shift
                t = self._next_window_start(t)
            else:
                t = max(self.start_calendar_s(self.scheduled_at(e)), self._next_window_start(t))
        sched = self.scheduled_at(t)
        return jobs * d / sched if sched > 0 else 1.0

    def _next_window_start(self, t_cal: float) -> float:
        """Start (calendar s) of the working window after the one containing calendar second ``t_cal``."""
        week, r = divmod(t_cal, WEEK_S)
        i = max(bisect.bisect_right(self._starts, r) - 1, 0)
        if i + 1 < len(self._starts):
            return week * WEEK_S + self._starts[i + 1]
        return (week + 1) * WEEK_S + self._starts[0]

    def _window_end_cal(self, t_cal: float) -> float:
        """End (calendar s) of the working window that contains calendar second ``t_cal``."""
        week, r = divmod(t_cal, WEEK_S)
        i = max(bisect.bisect_right(self._starts, r) - 1, 0)
        return week * WEEK_S + self._starts[i] + self._lengths[i]


#: Calendar weeks over which :meth:`ShiftClock.off_shift_speedup` averages (the pattern of job
#: starts need not repeat every week).
SPEEDUP_WEEKS = 26
