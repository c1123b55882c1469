"""Core library: pure Python, no Airflow import. Used by operators, the CLI and pods alike."""
