"""uvicorn under cProfile, for profile_ingest: the profile is written when it is stopped.

python bench/profiled_server.py OUT.prof [uvicorn options...]
(uvicorn re-raises the SIGTERM it caught once it has shut down; the handler installed
here before it started then writes the profile.)
"""

from __future__ import annotations

import cProfile
import os
import signal
import sys
import time
from types import FrameType

import uvicorn.main

profile = cProfile.Profile(time.process_time)  # CPU, not the time spent waiting


def stop(signum: int, frame: FrameType | None) -> None:
    profile.disable()
    profile.dump_stats(sys.argv[1])
    os._exit(0)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    profile.enable()
    uvicorn.main.main(sys.argv[2:])
