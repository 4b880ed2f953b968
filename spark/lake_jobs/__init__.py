"""PySpark jobs of the purchases lake: plain functions over DataFrames, driven by thin mains."""
