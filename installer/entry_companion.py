"""Entry point of the frozen `mt4-companion` (the same function as the gui-script)."""

import sys

from desktop.app import main

if __name__ == "__main__":
    sys.exit(main())
