"""``python -m pouchline.validation``: regenerate docs/validation.md and the measure-first table.

Options:

* ``--check``: write nothing; exit 1 when a document is out of date (what CI runs);
* ``--only report|measure-first``: one of the two documents;
* ``--citations``: check the source tags of the repository against docs/sources.md and print
  every problem (exit 1 on errors);
"""

from __future__ import annotations

import sys

from pouchline.cli.validate_model import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
