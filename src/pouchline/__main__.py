import sys

from pouchline.cli import main

sys.exit(main())
