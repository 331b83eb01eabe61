"""Joins `qec ler --json` runs that extend each other (`--skip-shots`) into one row per decoder.

    qec ler ... --shots 100000 --seed 309 --json > first.jsonl
    qec ler ... --shots 200000 --seed 309 --skip-shots 100000 --json > next.jsonl
    python benchmarks/merge_ler.py first.jsonl next.jsonl [--json]

Errors, shots and paired counts add; intervals and paired p-values are computed again over the
whole; parts that are not consecutive shots of one seed are refused.
"""

import argparse
import json

from qec._command._main_ler import merge_rows, print_rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true", help="one JSON object per decoder per line")
    args = parser.parse_args()
    rows = [json.loads(line) for path in args.files for line in open(path) if line.strip()]
    merged = merge_rows(rows)
    by_setting: dict[tuple, list[dict]] = {}
    for row in merged:  # the table prints one experiment at a time
        by_setting.setdefault((row["distance"], row["rounds"], row["basis"], row["noise"], row["seed"]), []).append(row)
    for group in by_setting.values():
        print_rows(group, as_json=args.json)


if __name__ == "__main__":
    main()
