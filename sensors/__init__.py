"""Deferrable sensors, their triggers and the S3 connection glue (installed as `airflow_champion.sensors`)."""
