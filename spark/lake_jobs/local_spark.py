"""Settings of Spark local mode, shared by the local lake runs and the lake benchmark.

Plain data without imports: the DAGs read it, and Airflow parses them where pyspark is not installed.
"""

# Spark local mode on a laptop or CI runner: two cores and few shuffle partitions, since an hour of
# purchases is small and each extra partition is an extra task and file.
LOCAL_SPARK_CONF = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "2g",
    # The throughput collector: a batch job has no pause goal, and with Java 17's default (G1) the
    # first million-row run in a fresh JVM took about 12% longer (measured with bench/lake_bench.py's
    # pipeline, three runs of each).
    "spark.driver.extraJavaOptions": "-XX:+UseParallelGC",
}
