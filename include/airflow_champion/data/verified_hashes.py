"""What a poller already knows about a snapshot's data file: its hash verdict, per version of the file.

A new-snapshot trigger polls every minute, for days. Without this, each poll read every unannounced
snapshot's data file in full (an S3 download) to hash it, and a snapshot whose hash never matches was
downloaded every minute for ever. Here a check first takes the file's *fingerprint* (locally size,
mtime, ctime and inode; on S3 one HEAD: ContentLength, ETag, LastModified, VersionId) and reuses the
verdict (matches, or the mismatch's message) while the fingerprint and the manifest's sha256 are
unchanged. A changed file (a fixed upload, a re-upload) has a new fingerprint and is hashed again.

The fingerprint is taken *before* hashing, so a file that changes while it is hashed gets a new
fingerprint and is hashed again at the next poll: a stale verdict never outlives the file version it
belongs to. The cache is never a source of truth (announced, claimed and quarantined live in
storage); it only saves reads. The one thing it cannot see is an in-place rewrite to the same size
within the file system's timestamp granularity: producers write snapshots atomically (new file).

Where it lives: in memory, one per trigger run() loop (`remembered(cache)` around each poll's scan).
A trigger is one model's long-lived coroutine, so its dict needs no lock (its polls run one after the
other), no key for the root, and goes away with the trigger; a triggerer restart just hashes once
more. A module-level dict would be shared by every trigger of the triggerer across threads and never
shrink; a cache in storage would be one more file per poll to write (and the project deletes nothing).
A context variable rather than a parameter, as for S3 credentials (data.credentials): the scan is
reached through pipeline.steps, which need not know; `asyncio.to_thread` carries it along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from airflow_champion.data import layout
from airflow_champion.data.manifest import Manifest, read_manifest, verify_data
from airflow_champion.data.storage import open_store
from airflow_champion.errors import IncompleteSnapshotError


@dataclass(frozen=True)
class _Verdict:
    key: tuple[Any, ...]  # (data file, fingerprint, manifest sha256): the version it belongs to
    error: str | None  # the mismatch's message; None when the hash matched


@dataclass
class VerifiedHashes:
    """snapshot id -> the verdict on its data file's current version, for one poller."""

    _verdicts: dict[str, _Verdict] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self._verdicts)

    def verify(self, root: str, manifest: Manifest) -> Manifest:
        """verify_data(), hashing only a file version this cache has no verdict for."""
        sid = manifest.snapshot_id
        rel = layout.data(sid, manifest.data_file)
        self._used.add(sid)
        fingerprint = open_store(root).fingerprint(rel)
        if fingerprint is None:  # absent: verify_data says so (one HEAD, nothing to remember)
            return verify_data(root, manifest)
        key = (rel, fingerprint, manifest.sha256)
        known = self._verdicts.get(sid)
        if known is not None and known.key == key:
            if known.error is not None:
                raise IncompleteSnapshotError(known.error)
            return manifest
        try:
            verify_data(root, manifest)
        except IncompleteSnapshotError as exc:
            self._verdicts[sid] = _Verdict(key, str(exc))
            raise
        self._verdicts[sid] = _Verdict(key, None)
        return manifest

    def end_scan(self) -> None:
        """Forget snapshots the last scan did not hash (announced, claimed, gone): bounded memory."""
        for sid in set(self._verdicts) - self._used:
            del self._verdicts[sid]
        self._used.clear()


_ACTIVE: ContextVar[VerifiedHashes | None] = ContextVar("mlops_verified_hashes", default=None)


@contextmanager
def remembered(cache: VerifiedHashes) -> Iterator[VerifiedHashes]:
    """One scan that uses (and updates) `cache`; its entries for snapshots not checked are dropped."""
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)
    cache.end_scan()


def check_complete(root: str, snapshot_id: str) -> Manifest:
    """manifest.check_complete(), through the scan's cache when one is remembered (else hashes)."""
    manifest = read_manifest(root, snapshot_id)
    cache = _ACTIVE.get()
    return cache.verify(root, manifest) if cache is not None else verify_data(root, manifest)


__all__ = ["VerifiedHashes", "check_complete", "remembered"]
