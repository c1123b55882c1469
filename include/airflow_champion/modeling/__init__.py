"""The modeling stage: pipeline from config, holdout split, fitting, recording in MLflow.

`training.train_challenger` is the entry point: idempotent per (model, snapshot, config).
"""
