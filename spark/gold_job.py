"""Spark entry point: the gold aggregates an interval's silver rows touch (write, audit, publish).

    spark-submit gold_job.py --start 2024-11-05T13:00:00+00:00 --end 2024-11-05T14:00:00+00:00 \\
        --silver-root s3://silver --gold-root s3://gold --checks a.yml b.yml

Exits 0 when the run finished, whether or not the gate passed; the report beside gold says which.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from lake_jobs.pipeline import Interval, run_gold
from lake_jobs.session import spark_session


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, type=datetime.fromisoformat)
    parser.add_argument("--end", required=True, type=datetime.fromisoformat)
    parser.add_argument("--silver-root", required=True)
    parser.add_argument("--gold-root", required=True)
    parser.add_argument("--checks", nargs="+", required=True, help="SodaCL files of the gold gate")
    args = parser.parse_args(argv)
    spark = spark_session("purchases-gold")
    report = run_gold(spark, Interval(args.start, args.end), args.silver_root, args.gold_root, args.checks)
    print(report.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
