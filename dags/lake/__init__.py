"""What the lake's DAG is made of: configuration, the bronze export, Spark engines, gates, catalog, alerts.

The DAG file only wires these together; everything here is importable without Airflow running.
"""
