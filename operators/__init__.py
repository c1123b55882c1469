"""Thin Airflow operators over the core library in include/."""
