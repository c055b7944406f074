"""What every script shares: the common arguments, logging to the job's log, clean failure."""

import argparse
import contextlib
import functools
import logging
import os
import sys
import time
from collections.abc import Callable
from io import TextIOBase
from pathlib import Path

from gdpipe.errors import GdpipeError

log = logging.getLogger("gdpipe")
STARTED = "ready after"  # the log line giving a job's start-up, read by the benchmark (bench/)


def parser(description: str, *required: str) -> argparse.ArgumentParser:
    """The arguments every step takes, and its own `required` ones (--name VALUE): files, ..."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--params", default="params.yaml", help="the params file (default: %(default)s)")
    p.add_argument("--log", help="append the step's log here as well as to stderr")
    p.add_argument("--provenance", help="write what the step ran on here (JSON) once it succeeds")
    for name in required:
        p.add_argument(f"--{name}", required=True)
    return p


def main(step: Callable[[argparse.Namespace], None], arguments: argparse.ArgumentParser) -> None:
    """Parse arguments, log, run the step, record its provenance; a GdpipeError: a line, exit 2."""
    args = arguments.parse_args()
    # With a log file the terminal gets only warnings and errors; without, it gets everything.
    handlers = [logging.StreamHandler(sys.stderr)]
    if args.log:
        handlers[0].setLevel(logging.WARNING)
        Path(args.log).parent.mkdir(parents=True, exist_ok=True)  # DVC makes no log folders
        handlers.append(logging.FileHandler(args.log, mode="w", encoding="utf-8"))
    logging.basicConfig(
        level="INFO", format="%(levelname)s %(name)s: %(message)s", handlers=handlers, force=True
    )
    # Seconds since the process started (interpreter and imports, for bench/), where /proc says.
    with contextlib.suppress(OSError, ValueError, IndexError):
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime, after `(comm)`
        started = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        log.info("%s %.3f s", STARTED, started)
    try:
        step(args)
    except GdpipeError as err:
        log.error("%s", err)
        sys.exit(2)
    if args.provenance:
        from gdpipe import io, provenance

        io.write_json(args.provenance, provenance.job_record())


class _LogStream(TextIOBase):
    """A file for tqdm whose redraws become log lines."""

    def write(self, text: str) -> None:
        if text := text.strip("\r\n "):
            log.info("%s", text)


def progress(description: str) -> Callable:
    """A tqdm wrapper for training loops whose bar goes to the log (a few lines, not thousands)."""
    from tqdm import tqdm

    return functools.partial(
        tqdm, desc=description, file=_LogStream(), mininterval=2.0, ascii=True, ncols=80
    )
