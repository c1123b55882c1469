"""One small file API over a local folder or an S3 prefix, so snapshots work the same on both.

Writes are atomic (temp file + rename locally; a single PUT on S3) because a reader must never see a
half-written manifest, and `create_exclusive` is the create-if-absent every once-only record is built
on (claims, announcements, drift retrains). Nothing here deletes: the project never removes data.

Why not fsspec/s3fs or Airflow's ObjectStoragePath: s3fs needs aiobotocore, whose botocore pin does
not admit the locked botocore (1.44.5: the resolver only finds s3fs 0.4.2 from 2020), and
ObjectStoragePath is Airflow (the core must run without it) on top of s3fs. What we need is small:
exists, size, read, atomic write, conditional create, list folders, streamed hash, local copy. The
S3 client comes from `data.credentials`, the one credential source.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from airflow_champion.errors import SnapshotError

CHUNK = 1024 * 1024


def file_sha256(path: Path) -> str:
    """The sha256 of a local file, streamed (a snapshot may be gigabytes)."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _check_rel(rel: str) -> str:
    parts = rel.replace("\\", "/").split("/")
    if rel.startswith("/") or any(p in {"", ".", ".."} for p in parts):
        raise ValueError(f"path {rel!r} must be relative and may not contain '..' or empty parts")
    return "/".join(parts)


class LocalStore:
    """A folder. Symbolic links under it are refused, for reads and writes alike.

    A linked data file would train on (and quote in reports) a file outside the root; a linked
    `_quarantine/` or `_claims/` would make the worker write outside it. The root itself may be a
    link (it is resolved once). Checked with lstat per component, then the resolved path must lie
    inside the resolved root; a link swapped in between check and use is not defended against (the
    root's writers are trusted producers, not adversaries racing the worker).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = str(Path(root).resolve())

    def _path(self, rel: str) -> Path:
        root = Path(self.root)
        path = root
        parts = _check_rel(rel).split("/")
        for n, part in enumerate(parts, 1):
            path = path / part
            if path.is_symlink():
                raise SnapshotError(
                    f"{'/'.join(parts[:n])} is a symbolic link; links are refused so nothing outside "
                    f"{self.root} is read or written"
                )
        if not path.resolve().is_relative_to(root):
            raise SnapshotError(f"{rel} resolves outside {self.root}; it is refused")
        return path

    def uri(self, rel: str) -> str:
        return self._path(rel).as_uri()

    def exists(self, rel: str) -> bool:
        return self._path(rel).is_file()

    def size(self, rel: str) -> int:
        return self._path(rel).stat().st_size

    def read_bytes(self, rel: str) -> bytes:
        return self._path(rel).read_bytes()

    @staticmethod
    def _temp_copy(path: Path, data: bytes) -> Path:
        """The data, fsynced, in a temp file beside `path` (same filesystem, so rename/link are atomic)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp)

    def write_bytes(self, rel: str, data: bytes) -> str:
        path = self._path(rel)
        tmp = self._temp_copy(path, data)
        try:
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path.as_uri()

    def create_exclusive(self, rel: str, data: bytes) -> bool:
        """Create a file only if absent: the primitive behind 'picked up once'.

        The content is written to a temp file first and then hard-linked into place (link(2) fails if
        the name exists), so the winner is decided atomically and no reader ever sees a partial file.
        """
        path = self._path(rel)
        tmp = self._temp_copy(path, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def list_dirs(self) -> list[str]:
        root = Path(self.root)
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink())

    def sha256(self, rel: str) -> str:
        return file_sha256(self._path(rel))

    @contextmanager
    def local_copy(self, rel: str) -> Iterator[Path]:
        yield self._path(rel)

    def fingerprint(self, rel: str) -> tuple[int, ...] | None:
        """(size, mtime, ctime, inode), None if absent: changes when the content may (verified_hashes)."""
        try:
            st = self._path(rel).stat()
        except FileNotFoundError:
            return None
        return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class S3Store:
    """`s3://bucket/prefix` through boto3, with the client of the current credential source."""

    def __init__(self, root: str, client: Any | None = None) -> None:
        if not root.startswith("s3://"):
            raise ValueError(f"{root!r} is not an s3:// URI")
        bucket, _, prefix = root[5:].partition("/")
        if not bucket:
            raise ValueError(f"{root!r} names no bucket")
        self.root = root.rstrip("/")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from airflow_champion.data import credentials

            self._client = credentials.s3_client()
        return self._client

    def _key(self, rel: str) -> str:
        rel = _check_rel(rel)
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def uri(self, rel: str) -> str:
        return f"s3://{self.bucket}/{self._key(rel)}"

    def _head(self, rel: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return dict(self.client.head_object(Bucket=self.bucket, Key=self._key(rel)))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def exists(self, rel: str) -> bool:
        return self._head(rel) is not None

    def size(self, rel: str) -> int:
        head = self._head(rel)
        if head is None:
            raise FileNotFoundError(self.uri(rel))
        return int(head["ContentLength"])

    def read_bytes(self, rel: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(rel))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(self.uri(rel)) from None
            raise
        return bytes(body.read())

    def write_bytes(self, rel: str, data: bytes) -> str:
        self.client.put_object(Bucket=self.bucket, Key=self._key(rel), Body=data)
        return self.uri(rel)

    def create_exclusive(self, rel: str, data: bytes) -> bool:
        """Conditional PUT (If-None-Match: *), which S3, MinIO and moto honour atomically."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(rel), Body=data, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {
                "PreconditionFailed",
                "412",
                "ConditionalRequestConflict",
            }:
                return False
            raise
        return True

    def list_dirs(self) -> list[str]:
        prefix = f"{self.prefix}/" if self.prefix else ""
        names: set[str] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for cp in page.get("CommonPrefixes", []) or []:
                names.add(cp["Prefix"][len(prefix) :].strip("/"))
        return sorted(n for n in names if n)

    def sha256(self, rel: str) -> str:
        h = hashlib.sha256()
        body = self.client.get_object(Bucket=self.bucket, Key=self._key(rel))["Body"]
        for block in iter(lambda: body.read(CHUNK), b""):
            h.update(block)
        return h.hexdigest()

    @contextmanager
    def local_copy(self, rel: str) -> Iterator[Path]:
        with tempfile.TemporaryDirectory(prefix="mlops-s3-") as tmp:
            path = Path(tmp) / Path(rel).name
            self.client.download_file(self.bucket, self._key(rel), str(path))
            yield path

    def fingerprint(self, rel: str) -> tuple[Any, ...] | None:
        """One HEAD: (ContentLength, ETag, LastModified, VersionId); None if absent (verified_hashes)."""
        head = self._head(rel)
        if head is None:
            return None
        return (
            int(head["ContentLength"]),
            head.get("ETag"),
            str(head.get("LastModified")),
            head.get("VersionId"),
        )


Store = LocalStore | S3Store


def open_store(root: str, *, s3_client: Any | None = None) -> Store:
    """The store behind a snapshot root: `s3://...` (client from data.credentials) or a local folder."""
    if root.startswith("s3://"):
        return S3Store(root, client=s3_client)
    if "://" in root:
        raise ValueError(f"unsupported storage URI {root!r}: use a local path or s3://bucket/prefix")
    return LocalStore(root)
