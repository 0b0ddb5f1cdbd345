"""1,000 live positions updating 10 times a second in the real positions table.

Prints the model update cost, the worst event-loop stall, CPU and peak memory.
    python bench/ui_positions.py [seconds=30] [positions=1000] [rate=10]
(The measuring code lives with the views it measures: desktop/bench_positions.py.)
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.bench_positions import main

    sys.exit(main())
