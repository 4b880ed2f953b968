"""python -m deploy {deploy,remove} --stage <stage>: see deploy/stage.py."""

import sys

from deploy.stage import main

sys.exit(main(sys.argv[1:]))
