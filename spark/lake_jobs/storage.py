"""File operations through Hadoop's FileSystem API, so the same calls work on s3:// (EMR) and file://."""

from __future__ import annotations

from typing import Any

from pyspark.sql import SparkSession


def _fs(spark: SparkSession, uri: str) -> tuple[Any, Any]:
    """(FileSystem, Path) of `uri`: py4j proxies of Hadoop's Java objects, which have no Python types."""
    jvm = spark.sparkContext._jvm
    if jvm is None:
        raise RuntimeError("the Spark context has no JVM gateway")
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()), path


def exists(spark: SparkSession, uri: str) -> bool:
    fs, path = _fs(spark, uri)
    return bool(fs.exists(path))


def delete(spark: SparkSession, uri: str) -> None:
    fs, path = _fs(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def glob(spark: SparkSession, pattern: str) -> list[str]:
    """Files matching a Hadoop glob (`*`, `{a,b}`), directories left out."""
    fs, path = _fs(spark, pattern)
    statuses = fs.globStatus(path) or []
    return sorted(str(s.getPath().toString()) for s in statuses if s.isFile())


def move(spark: SparkSession, source: str, target: str) -> None:
    """Replace `target` with `source` (a rename on a file system, copy and delete on S3)."""
    fs, src = _fs(spark, source)
    _, dst = _fs(spark, target)
    if fs.exists(dst):
        fs.delete(dst, True)
    fs.mkdirs(dst.getParent())
    if not fs.rename(src, dst):
        raise OSError(f"could not move {source} to {target}")


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    fs, path = _fs(spark, uri)
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def read_text(spark: SparkSession, uri: str) -> str:
    return "\n".join(r.value for r in spark.read.text(uri, wholetext=True).collect())
