import sys

from condense.cli import main

sys.exit(main())
