#!/usr/bin/env bash
# Builds what the lake deploys to the artifacts bucket, into .local/lake-artifacts/:
#   dags/    -> s3://<artifacts>/dags/   (MWAA's DAG folder: dags/ plus the lake_jobs package it imports)
#   spark/   -> s3://<artifacts>/spark/  (LAKE_JOBS_URI: job entry files, lake_jobs.zip, soda/ checks)
# Deterministic: the same sources give the same files.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
OUT="$ROOT/.local/lake-artifacts"
rm -rf "$OUT"
mkdir -p "$OUT/dags" "$OUT/spark/soda"

cp -r dags/purchases_lake.py dags/.airflowignore dags/lake "$OUT/dags/"
cp -r spark/lake_jobs "$OUT/dags/"
printf 'lake/\nlake_jobs/\n' > "$OUT/dags/.airflowignore"

cp spark/silver_job.py spark/gold_job.py "$OUT/spark/"
cp -r soda/generated soda/checks "$OUT/spark/soda/"
"$PYTHON" - "$OUT/spark/lake_jobs.zip" <<'PY'
import sys, zipfile
from pathlib import Path
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for package in ("lake_jobs", "schemas"):
        for path in sorted(Path("spark", package).rglob("*.py")):
            info = zipfile.ZipInfo(str(path.relative_to("spark")), date_time=(1980, 1, 1, 0, 0, 0))
            z.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
PY
find "$OUT" -name __pycache__ -prune -exec rm -rf {} +
log "lake artifacts in ${OUT#$ROOT/}: $(find "$OUT" -type f | wc -l) files"
