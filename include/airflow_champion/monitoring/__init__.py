"""The monitoring stage: drift statistics and engine, the Evidently adapter, the monitor that checks a
snapshot against the champion, the retrain policy and its once-per-snapshot gate."""
