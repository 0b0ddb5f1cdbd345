"""Entry point of the frozen `mt4-gateway` (the same function as the console script)."""

import sys

from gateway_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
