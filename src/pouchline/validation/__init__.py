"""How far to trust pouchline's numbers: sources, citations and the validation report.

* :mod:`pouchline.validation.citations`: find every source tag in a set of files and check it
  against the bibliography of ``docs/sources.md`` (and against citing documents that are not in
  the repository);
* :mod:`pouchline.validation.report`: the comparisons of ``docs/validation.md`` (paper, queueing
  theory, BatPaC);
* :mod:`pouchline.validation.queueing`: the exact results those comparisons use;
* :mod:`pouchline.validation.measure_first`: the table of estimated and assumed figures ranked by
  their effect on $/kWh and Wh/kg, written into ``docs/sources.md``.

``python -m pouchline.validation`` (or ``pouchline validate-model``) regenerates both documents.
"""

from pouchline.validation.citations import CitationIssue, CitationReport, check_texts, scan_files
from pouchline.validation.report import Check, build_report

__all__ = ["Check", "CitationIssue", "CitationReport", "build_report", "check_texts", "scan_files"]
