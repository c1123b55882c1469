"""The pipeline stage: `steps` (the one facade), `chain` (the retrain chain in one process), the CLI."""
