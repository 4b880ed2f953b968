"""The lake's files on the artifacts bucket: built into a folder that mirrors the bucket, then uploaded.

    dags/                         MWAA's DAG folder: the DAG files, lake/, and lake_jobs that they import
    requirements.txt              what MWAA installs, with the constraints of its Airflow and Python
    spark/silver_job.py, ...      the Spark entry files (LAKE_JOBS_URI)
    spark/lake_jobs.zip           lake_jobs and schemas, for spark.submit.pyFiles
    spark/soda/{generated,checks} the Soda checks of the gates
    spark/python-env.tar.gz       Soda Core and its dependencies for the release's Python on the
                                  application's architecture (requirements/lake-job.txt)

The build is deterministic (same sources, same bytes), so an upload compares each file's sha256 with the
one stored in the object's metadata and sends only what changed; objects under dags/ and spark/ that the
build no longer has are deleted.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "uv" / "bin" / "uv"
JOB_LOCK = ROOT / "requirements" / "lake-job.txt"
# Zip and tar entries carry this date, so a rebuild of the same sources gives the same bytes.
EPOCH_1980 = (1980, 1, 1, 0, 0, 0)
# AL2023, which EMR 7 runs on, has glibc 2.34: the newest manylinux wheels its Python can load.
GLIBC = "2_34"
ARCHITECTURES = {"ARM64": "aarch64", "X86_64": "x86_64"}
SHA256_METADATA = "sha256"


def stack_file() -> dict:
    """resources/stack.yml: the names and settings every stage shares."""
    return yaml.safe_load((ROOT / "resources" / "stack.yml").read_text())


def settings() -> dict:
    return stack_file()["settings"]


@dataclass(frozen=True)
class Layout:
    """Where each kind of file goes on the bucket (resources/stack.yml)."""

    dags: str
    requirements: str
    jobs: str
    python_archive: str

    @classmethod
    def from_settings(cls, s: dict) -> Layout:
        return cls(
            dags=s["mwaaDagsPath"],
            requirements=s["mwaaRequirementsPath"],
            jobs=s["sparkJobsPrefix"],
            python_archive=f"{s['sparkJobsPrefix']}/{s['sparkPythonArchive']}",
        )

    @property
    def managed_prefixes(self) -> tuple[str, ...]:
        """Prefixes whose every object comes from the build (a stale one is deleted)."""
        return (f"{self.dags}/", f"{self.jobs}/")


def job_platform(s: dict) -> str:
    """uv's name of the EMR application's platform, e.g. aarch64-manylinux_2_34."""
    return f"{ARCHITECTURES[s['emrArchitecture']]}-manylinux_{GLIBC}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy(sources: Iterable[Path], base: Path, target: Path) -> None:
    for source in sources:
        destination = target / source.relative_to(base)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _build_dags(dags: Path) -> None:
    source = ROOT / "dags"
    _copy(sorted(source.glob("*.py")), source, dags)
    _copy(_python_files(source / "lake"), source, dags)
    _copy(_python_files(ROOT / "spark" / "lake_jobs"), ROOT / "spark", dags)
    # Modules, not DAGs: the DAG processor skips them.
    (dags / ".airflowignore").write_text("lake/\nlake_jobs/\n")


def _build_jobs(jobs: Path) -> None:
    spark, soda = ROOT / "spark", ROOT / "soda"
    _copy(sorted(spark.glob("*_job.py")), spark, jobs)
    _copy(
        [*sorted((soda / "generated").rglob("*.yml")), *sorted((soda / "checks").rglob("*.yml"))], ROOT, jobs
    )
    with zipfile.ZipFile(jobs / "lake_jobs.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for package in ("lake_jobs", "schemas"):
            for path in _python_files(spark / package):
                info = zipfile.ZipInfo(str(path.relative_to(spark)), date_time=EPOCH_1980)
                z.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)


def mwaa_requirements(s: dict) -> str:
    """MWAA's requirements.txt: the Airflow providers lake.in pins, under Airflow's constraints."""
    airflow, python = s["airflowVersion"], s["mwaaPythonVersion"]
    pins = [
        line.strip()
        for line in (ROOT / "requirements" / "lake.in").read_text().splitlines()
        if line.startswith("apache-airflow-providers-")
    ]
    constraint = (
        f"https://raw.githubusercontent.com/apache/airflow/constraints-{airflow}/constraints-{python}.txt"
    )
    header = f"# What Amazon MWAA (Airflow {airflow}, Python {python}) installs; written by npm run deploy."
    return "\n".join([header, f'--constraint "{constraint}"', *pins]) + "\n"


def _deterministic_tar_gz(folder: Path, target: Path) -> None:
    def normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
        info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
        return info

    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar,
    ):
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(folder)), recursive=False, filter=normalized)


def build_job_environment(s: dict, target: Path, cache: Path) -> None:
    """Install requirements/lake-job.txt for the EMR application's Python and platform, packed as tar.gz.

    No interpreter is inside: uv installs the wheels for that platform on this machine (no Docker, no
    emulation) and the release's own Python imports them from the unpacked folder. Built once per lock,
    Python and platform; later builds copy the cached archive.
    """
    python, platform = s["sparkPython"], job_platform(s)
    key = hashlib.sha256(JOB_LOCK.read_bytes() + f"{python} {platform}".encode()).hexdigest()[:16]
    cached = cache / f"python-env-{key}.tar.gz"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="lake-job-env-") as tmp:
            site = Path(tmp) / "site"
            subprocess.run(  # noqa: S603
                [
                    str(UV), "pip", "install", "--quiet", "--no-deps", "--require-hashes",
                    "--only-binary", ":all:", "--no-compile",
                    "--python-version", python, "--python-platform", platform,
                    "--target", str(site), "-r", str(JOB_LOCK),
                ],
                check=True,
            )  # fmt: skip
            # Console scripts (their shebangs name this machine's Python) and uv's lock file are not needed.
            shutil.rmtree(site / "bin", ignore_errors=True)
            (site / ".lock").unlink(missing_ok=True)
            _deterministic_tar_gz(site, Path(tmp) / "env.tar.gz")
            shutil.move(Path(tmp) / "env.tar.gz", cached)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)


def build(out: Path, cache: Path | None = None) -> Layout:
    """Build every artifact into `out`, laid out as on the bucket."""
    s = settings()
    layout = Layout.from_settings(s)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    _build_dags(out / layout.dags)
    _build_jobs(out / layout.jobs)
    (out / layout.requirements).write_text(mwaa_requirements(s))
    build_job_environment(s, out / layout.python_archive, cache or ROOT / ".local" / "deploy" / "cache")
    return layout


@dataclass
class Upload:
    uploaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    requirements_version: str = ""


def _remote_keys(s3, bucket: str, prefixes: Iterable[str]) -> set[str]:
    keys = set()
    for prefix in prefixes:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys.update(o["Key"] for o in page.get("Contents", []))
    return keys


def upload(s3, bucket: str, out: Path, layout: Layout) -> Upload:
    """Send to `bucket` the files of `out` whose content differs from the object's; delete stale objects."""
    local = {str(p.relative_to(out)): p for p in sorted(out.rglob("*")) if p.is_file()}
    remote = _remote_keys(s3, bucket, [*layout.managed_prefixes, layout.requirements])

    def sync(key: str) -> bool:
        digest = _sha256(local[key])
        if key in remote:
            stored = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get(SHA256_METADATA)
            if stored == digest:
                return False
        with local[key].open("rb") as body:
            s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata={SHA256_METADATA: digest})
        return True

    # The DAG files go last, so that MWAA never parses a DAG whose modules are not uploaded yet.
    dag_files = {k for k in local if k.startswith(f"{layout.dags}/") and k.count("/") == 1}
    result = Upload()
    with ThreadPoolExecutor(max_workers=8) as pool:
        for keys in (sorted(local.keys() - dag_files), sorted(dag_files)):
            for key, sent in zip(keys, pool.map(sync, keys), strict=True):
                (result.uploaded if sent else result.unchanged).append(key)
    stale = sorted(remote - local.keys())
    for start in range(0, len(stale), 1000):
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in stale[start : start + 1000]]}
        )
    result.deleted = stale
    # Unversioned buckets (the emulator's by default) answer no version id.
    result.requirements_version = (
        s3.head_object(Bucket=bucket, Key=layout.requirements).get("VersionId") or ""
    )
    return result


def download(s3, bucket: str, target: Path, prefixes: Iterable[str]) -> int:
    """Copy every object under `prefixes` to `target` (as MWAA and EMR read the bucket); returns the count."""
    count = 0
    for key in sorted(_remote_keys(s3, bucket, prefixes)):
        path = target / key
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
        count += 1
    return count
