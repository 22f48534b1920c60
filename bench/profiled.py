"""`python -m bench.profiled OUT.prof MODULE`: run `python -m MODULE` under cProfile and write OUT.prof when it
stops. (`python -m cProfile` writes nothing here: uvicorn re-raises SIGTERM after its graceful shutdown, and the
default action ends the process before cProfile's `finally`. The handler set here is the one uvicorn restores.)"""
from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys


def main(out: str, module: str) -> None:
    profile = cProfile.Profile()

    def dump(*_args) -> None:
        profile.disable()
        profile.dump_stats(out)
        os._exit(0)

    signal.signal(signal.SIGTERM, dump)
    sys.argv = [module]
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        dump()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
