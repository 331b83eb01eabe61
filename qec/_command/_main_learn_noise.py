"""`qec learn-noise`: a detector error model learned from recorded detection events."""

from __future__ import annotations

import argparse
import json
import sys
import time

from qec._command._input_files import load_reference
from qec._shot_files import FORMATS

EXAMPLES = """examples:
  qec learn-noise --events shots.b8 --reference circuit.stim --out learned.dem
  qec learn-noise --events shots.npy --reference nominal.dem --out learned.dem --pool --json
  qec ler --distance 5 --rounds 5 --noise uniform:0.003 --shots 10000 --decoders pymatching --decoder-dem learned.dem
"""


def main(*, command_line_args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qec learn-noise", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", required=True, help="detection events: .npy (shots x detectors) or a Stim "
                                                         "result file (.01, .b8, .r8, .ptb64, .hits, .dets)")
    parser.add_argument("--format", choices=FORMATS, default=None, help="default: from the extension")
    parser.add_argument("--reference", required=True, help="a DEM file or a circuit file naming the mechanisms")
    parser.add_argument("--out", required=True, help="where to write the learned DEM")
    parser.add_argument("--pool", action="store_true", help="average mechanisms equal up to a shift in time (bulk)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    args = parser.parse_args(command_line_args)

    import numpy as np

    from tqdm import tqdm

    from qec._event_fit import warn_if_events_do_not_fit
    from qec._noise_learning import EventStatistics
    from qec._shot_files import ShotFile
    reference = load_reference(args.reference, "qec learn-noise")
    t0 = time.perf_counter()
    try:
        events = ShotFile(args.events, width=reference.num_detectors, format=args.format)
        stats = EventStatistics(reference)
        warn_if_events_do_not_fit(reference, next(events.chunks(6_000)), what=f"the events in {args.events}")
        # A chunk at a time (a b8 or npy file is never loaded whole), in the chunks learn_noise would use.
        size = stats.chunk_size(events.num_shots)
        with tqdm(total=events.num_shots, desc="learn-noise", unit="shot", file=sys.stderr,
                  disable=args.no_progress) as bar:
            for chunk in events.chunks(size):
                stats.update(chunk)
                bar.update(len(chunk))
        learned = stats.learn(pool=args.pool)
    except ValueError as e:
        raise SystemExit(f"qec learn-noise: {e}")
    learned.to_dem().to_file(args.out)
    ref = learned.reference_probabilities
    summary = {
        "events": args.events, "reference": args.reference, "out": args.out, "shots": int(learned.num_shots),
        "detectors": reference.num_detectors, "mechanisms": len(ref),
        "edges": int(np.sum(learned.sizes <= 2)), "hyperedges": int(np.sum(learned.sizes > 2)),
        "clipped": learned.clipped,
        "median_relative_standard_error": float(np.median(learned.standard_errors / np.maximum(learned.probabilities, 1e-12))),
        "median_ratio_to_reference": float(np.median(learned.probabilities / np.maximum(ref, 1e-12))),
        "seconds": time.perf_counter() - t0,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"learned {summary['mechanisms']} mechanisms ({summary['edges']} edges, {summary['hyperedges']} hyperedges) "
              f"from {summary['shots']} shots; {summary['clipped']} clipped; median learned/reference "
              f"{summary['median_ratio_to_reference']:.3f}; wrote {args.out}")
    return 0
