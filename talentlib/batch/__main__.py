"""python -m talentlib.batch RUN_DIR --serve: a worker serving the fields its parent sends."""

import sys

from .worker import main

sys.exit(main())
