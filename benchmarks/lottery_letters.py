"""Render the letters of a 1,500-letter wave drawn from a register extract of 90,000 people.

The wave is drawn as ``benchmarks/lottery_draw.py`` does (same options, same fresh
database). The letters are then rendered as ``vekl lottery letters`` and the organisers'
download do it (``vekl.lottery.letters.letters_pdf``, then the print shop's CSV), in a
fresh process, so its peak memory is the rendering's own and not the import's. Prints the
wall and CPU time, the peak memory of the rendering process, the size of the PDF and the
load average before and after. Not part of the test suite; the figures go into
benchmarks/README.md.

    .venv/bin/python -m benchmarks.lottery_letters --database sqlite
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import resource
import time
from datetime import UTC, datetime
from typing import Any

from pypdf import PdfReader

from benchmarks.lottery_draw import SECRET, arguments, drawn_wave
from vekl.lottery import letters as printing
from vekl.rounds import service as rounds
from vekl.settings import Settings
from vekl.store.db import make_engine, make_sessionmaker, transaction


def render(url: str, slug: str, wave: int, out: Any) -> None:
    """In a fresh process: the PDF and the CSV of the wave, timed."""
    settings = Settings(
        environment="development",
        database_url=url,
        base_url="https://vekl.konstanz.example",
        secret_key=SECRET,
        controller_name="Stadt Konstanz",
        controller_address="Kanzleistraße 15, 78462 Konstanz",
        contact_email="vekl@konstanz.example",
    )
    sessions = make_sessionmaker(make_engine(url))
    found: dict[str, Any] = {}
    start, cpu = time.perf_counter(), time.process_time()
    with transaction(sessions) as session:
        round = rounds.get_round(session, slug)
        pdf = printing.letters_pdf(
            session, round, wave, settings, actor="bench", now=datetime.now(UTC)
        )
    found["pdf"] = (time.perf_counter() - start, time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    with transaction(sessions) as session:
        round = rounds.get_round(session, slug)
        listing = printing.letters_csv(session, round, wave, settings, actor="bench")
    found["csv"] = (time.perf_counter() - start, time.process_time() - cpu)
    found["pages"] = len(PdfReader(io.BytesIO(pdf)).pages)
    found["pdf_mb"] = len(pdf) / 1e6
    found["csv_kb"] = len(listing) / 1e3
    found["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments(parser)
    args = parser.parse_args()
    with drawn_wave(args) as drawn:
        print(f"{drawn.letters} letters drawn in wave {drawn.wave_number}")
        load_before = os.getloadavg()
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        child = context.Process(
            target=render, args=(drawn.url, drawn.slug, drawn.wave_number, results)
        )
        child.start()
        found = results.get()
        child.join()
        load_after = os.getloadavg()
    pdf_wall, pdf_cpu = found["pdf"]
    csv_wall, csv_cpu = found["csv"]
    print(f"  {'step':<28} {'wall':>8} {'CPU (rendering process)':>24}")
    print(f"  {'letters PDF':<28} {pdf_wall:6.1f} s {pdf_cpu:22.1f} s")
    print(f"  {'print shop CSV':<28} {csv_wall:6.1f} s {csv_cpu:22.1f} s")
    print(
        f"  {found['pages']} pages, PDF {found['pdf_mb']:.1f} MB, CSV {found['csv_kb']:.0f} kB, "
        f"peak memory of the rendering process {found['peak_mb']:.0f} MB"
    )
    print(
        "  load average (1, 5, 15 min) before "
        + ", ".join(f"{x:.1f}" for x in load_before)
        + "; after "
        + ", ".join(f"{x:.1f}" for x in load_after)
    )


if __name__ == "__main__":
    main()
