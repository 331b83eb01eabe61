"""`qec bench`: time every stage on the same shots (warm-up, device sync, median of repeats)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from qec._command._main_ler import MODEL_HELP, threshold_argument

EXAMPLES = """examples:
  qec bench --distance 13 --rounds 13 --noise uniform:0.003 --shots 2000 --device cpu --json
  qec bench --distance 21 --rounds 21 --noise uniform:0.006 --shots 20000 --device cuda --batch-size 4096
"""


def main(*, command_line_args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qec bench", description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distance", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--basis", choices=("x", "z"), default="x")
    parser.add_argument("--noise", default="uniform:0.006", help="as in qec ler")
    parser.add_argument("--shots", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="default", help=MODEL_HELP)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--batch-size", type=int, default=512, help="shots per pre-decoder batch")
    parser.add_argument("--precision", choices=("float32", "bfloat16"), default=None,
                        help="the network's arithmetic (default: bfloat16 on cuda, float32 on cpu)")
    parser.add_argument("--threshold", type=threshold_argument, default=None,
                        help="the hard pipeline's decision threshold, or one per edge class in the model's class "
                             "order, comma-separated (default: the model's for the circuit's noise)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats; the median is reported")
    parser.add_argument("--matching-workers", type=int, default=0,
                        help="end to end: processes matching batch k while the network runs batch k + 1 (0 = serial); "
                             "PyMatching alone is then also timed on as many processes")
    parser.add_argument("--stream", action="store_true",
                        help="also time the stream (pipeline and matcher alone), every shot pushed round by round "
                             "through windows of 4 + 4 rounds")
    parser.add_argument("--reweighted", action="store_true",
                        help="also time reweighted matching: a graph per shot (about 2 ms per shot at d=9 on one CPU "
                             "core) and the prebuilt shortcut graph")
    parser.add_argument("--compile", action="store_true",
                        help="run the network through torch.compile (CUDA graphs on a GPU); compiling is not timed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(command_line_args)
    row = run(args)
    if args.json:
        print(json.dumps(row))
    else:
        for key, value in row.items():
            print(f"{key:>40}: {value}")
    return 0


def run(args) -> dict:
    import torch

    from qec._circuits import generate_circuit
    from qec._decoder import Decoder
    from qec._device import cpu_has_fast_bfloat16
    try:
        circuit = generate_circuit(args.distance, args.rounds, basis=args.basis, noise=args.noise)
        decoder = Decoder.from_circuit(circuit, model=args.model, device=args.device, batch_size=args.batch_size,
                                       matching_workers=args.matching_workers, compile=args.compile,
                                       precision=args.precision, threshold=args.threshold)
    except ValueError as e:
        raise SystemExit(f"qec bench: {e}")
    if args.repeats < 1 or args.shots < 1:
        raise SystemExit("qec bench: --repeats and --shots must be >= 1")
    dets = circuit.compile_detector_sampler(seed=args.seed).sample(args.shots)
    cuda = decoder.device.type == "cuda"

    def timed(fn, data):
        # Warm-up: module load, kernels, matcher construction; compiled, every batch shape once.
        fn(data if args.compile else data[: min(len(data), 64)])
        times = []
        for _ in range(args.repeats):
            if cuda:
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            out = fn(data)
            if cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return statistics.median(times), out

    def timed_in_turn(stages: dict) -> dict:
        # Matching stages (CPU only) taken in turn within each repeat, so that a slow spell of a
        # shared machine falls on raw and residual matching alike rather than on one of them.
        for fn, data in stages.values():
            fn(data[: min(len(data), 64)])
        times = {name: [] for name in stages}
        cpu_times = {name: [] for name in stages}
        for _ in range(args.repeats):
            for name, (fn, data) in stages.items():
                t0, c0 = time.perf_counter(), time.thread_time()
                fn(data)
                times[name].append(time.perf_counter() - t0)
                cpu_times[name].append(time.thread_time() - c0)
        return ({name: statistics.median(t) for name, t in times.items()},
                {name: statistics.median(t) for name, t in cpu_times.items()})

    per_round = 1e6 / (args.shots * args.rounds)
    pre, (residual, _) = timed(lambda d: decoder.predecode(d, enable_correlations=False), dets)
    residual_corr, _ = decoder.predecode(dets, enable_correlations=True)  # the correlation-safe residual
    match, match_corr = decoder.matcher.decode_batch, lambda d: decoder.matcher.decode_batch(d, correlated=True)
    matching, matching_cpu = timed_in_turn({"raw": (match, dets), "raw_corr": (match_corr, dets),
                              "res": (match, residual), "res_corr": (match_corr, residual_corr)})
    raw, raw_corr, res, res_corr = (matching[k] for k in ("raw", "raw_corr", "res", "res_corr"))
    end_to_end, _ = timed(decoder.decode_batch, dets)
    parallel = {}
    if args.matching_workers:
        seconds, _ = timed(decoder.matching_pool().decode_batch, dets)
        parallel = {"pymatching_parallel_us_per_round": seconds * per_round}
    streams = {}
    if args.stream:
        def stream(d, stream_decoder):
            s = stream_decoder.stream(len(d), commit_rounds=4, buffer_rounds=4)
            for layer in s.layer_detectors:
                s.push(d[:, layer])
            return s.finish()

        plain = Decoder(decoder.graph, model=None)
        piped, _ = timed(lambda d: stream(d, decoder), dets)
        alone, _ = timed(lambda d: stream(d, plain), dets)
        streams = {"pipeline_stream_us_per_round": piped * per_round, "pymatching_stream_us_per_round": alone * per_round}
    reweighted = {}
    if args.reweighted:
        parts = decoder.predecode_variants(dets, variants=("reweighted",))["reweighted"]
        seconds, _ = timed(lambda d: decoder.match_residual(tuple(x[:len(d)] for x in parts), "reweighted"), dets)
        shortcut, _ = timed(lambda d: decoder.match_residual(tuple(x[:len(d)] for x in parts), "reweighted-shortcut"), dets)
        reweighted = {"reweighted_matching_us_per_round": seconds * per_round,
                      "pipeline_reweighted_us_per_round": (pre + seconds) * per_round,
                      "reweighted_shortcut_matching_us_per_round": shortcut * per_round,
                      "pipeline_reweighted_shortcut_us_per_round": (pre + shortcut) * per_round}
    device_name = torch.cuda.get_device_name(decoder.device) if cuda else _cpu_name()
    return {
        "distance": args.distance, "rounds": args.rounds, "basis": args.basis, "noise": args.noise, "shots": args.shots,
        "model": decoder.predecoder.metadata.get("name", args.model), "device": str(decoder.device),
        "device_name": device_name, "torch_threads": torch.get_num_threads(), "batch_size": args.batch_size,
        # The host's vector unit: CPU timings differ by it, and bfloat16 is fast on a CPU only natively.
        "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu_native_bfloat16": cpu_has_fast_bfloat16(),
        "precision": decoder.precision, "threshold": decoder.threshold, "matching_workers": args.matching_workers,
        "compile": args.compile, "repeats": args.repeats,
        "pymatching_us_per_round": raw * per_round,
        "pymatching_correlated_us_per_round": raw_corr * per_round,
        "predecoder_us_per_round": pre * per_round,
        "residual_matching_us_per_round": res * per_round,
        "residual_matching_correlated_us_per_round": res_corr * per_round,
        "pipeline_us_per_round": end_to_end * per_round,
        **parallel,
        "residual_to_raw_matching_ratio": res / raw,
        # The same ratio in this thread's CPU time (PyMatching runs on it), which leaves out time
        # taken by other jobs, the hypervisor and this process's other threads.
        "residual_to_raw_matching_cpu_time_ratio": matching_cpu["res"] / matching_cpu["raw"],
        "density_in": float(dets.mean()), "density_residual": float(residual.mean()),
        "density_residual_correlated": float(residual_corr.mean()),
        **streams,
        **reweighted,
    }


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or sys.platform
