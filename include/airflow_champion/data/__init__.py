"""The data stage: snapshot ids and layout, storage (local or S3) with one credential source,
manifests, reading with limits, quarantine, and the once-per-snapshot claims."""
