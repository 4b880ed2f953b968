"""Spark entry point: bronze hours of an interval to silver (write, audit with Soda, publish).

    spark-submit silver_job.py --start 2024-11-05T13:00:00+00:00 --end 2024-11-05T14:00:00+00:00 \\
        --bronze-root s3://bronze --bronze-files '*' --silver-root s3://silver --checks a.yml b.yml

Exits 0 when the run finished, whether or not the gate passed: the verdict is in the report that the
run writes beside silver (a failed gate is not a reason to retry the job).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from lake_jobs.pipeline import Interval, run_silver
from lake_jobs.session import spark_session


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, type=datetime.fromisoformat)
    parser.add_argument("--end", required=True, type=datetime.fromisoformat)
    parser.add_argument("--bronze-root", required=True)
    parser.add_argument("--bronze-files", required=True, help="glob of data files below each bronze hour")
    parser.add_argument("--silver-root", required=True)
    parser.add_argument("--checks", nargs="+", required=True, help="SodaCL files of the silver gate")
    args = parser.parse_args(argv)
    spark = spark_session("purchases-silver")
    report = run_silver(
        spark,
        Interval(args.start, args.end),
        args.bronze_root,
        args.bronze_files,
        args.silver_root,
        args.checks,
    )
    print(report.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
