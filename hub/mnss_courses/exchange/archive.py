"""Moving folders as archives without trusting them.

Uploads are read entry by entry (tar, tar.gz or zip) and reduced to a list of regular files with
checked relative names; anything else - absolute names, '..', backslashes, links, devices,
duplicates, too many entries, too many bytes once unpacked - is refused with a message naming
the entry. Compressed tar streams are decompressed through a reader that stops once more bytes
come out than the entries seen so far can explain (so a gzip-bombed header is refused after about
a MiB, before tarfile buffers it). What the service stores is a fresh tar.gz it packs itself from that list, and the
client unpacks downloads through the same checks, so neither side ever lets an archive decide
where a file lands.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

Entry = tuple[str, bytes]  # (relative posix name, content)


class ArchiveError(ValueError):
    """The archive is not acceptable; the message names the entry and the reason."""


class ArchiveTooLarge(ArchiveError):
    """The archive unpacks to more than the limits allow (HTTP 413 rather than 400)."""


# Linux's NAME_MAX; and a bound on a whole relative name, far below PATH_MAX (4096) so that the
# name still fits under any folder it is unpacked into.
MAX_PART_BYTES = 255
MAX_NAME_BYTES = 1024


@dataclass(frozen=True)
class Limits:
    max_entries: int = 2000
    max_total_bytes: int = 200 * 1024 * 1024  # unpacked
    max_depth: int = 16


def check_name(name: str) -> str:
    """The entry name as a clean relative posix path, or ArchiveError."""
    if not isinstance(name, str) or not name:
        raise ArchiveError("an entry has an empty name")
    if any(ord(ch) < 32 or ch == "\x7f" for ch in name):
        raise ArchiveError(f"entry {name!r} has control characters in its name")
    if "\\" in name:
        raise ArchiveError(f"entry {name!r} contains a backslash")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise ArchiveError(f"entry {name!r} is an absolute path")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise ArchiveError(f"entry {name[:60]!r}... has a name longer than {MAX_NAME_BYTES} bytes")
    trimmed = name[2:] if name.startswith("./") else name
    trimmed = trimmed.rstrip("/")
    parts = trimmed.split("/")
    if not trimmed or any(part in ("", ".", "..") for part in parts):
        raise ArchiveError(f"entry {name!r} leaves its folder or has an empty path part")
    long = next((part for part in parts if len(part.encode("utf-8", "surrogateescape")) > MAX_PART_BYTES), None)
    if long is not None:
        raise ArchiveError(
            f"entry {name[:60]!r}... has a file or folder name longer than {MAX_PART_BYTES} bytes ({long[:20]!r}...)"
        )
    return "/".join(parts)


def _add(entries: dict[str, bytes], name: str, data: bytes, limits: Limits) -> None:
    clean = check_name(name)
    if len(clean.split("/")) > limits.max_depth:
        raise ArchiveError(f"entry {name!r} is nested deeper than {limits.max_depth} folders")
    if clean in entries:
        raise ArchiveError(f"entry {clean!r} appears more than once")
    entries[clean] = data


def _count(seen: list[int], limits: Limits) -> None:
    """Every entry counts, folders too: 300k empty folders cost as much to walk as files."""
    seen[0] += 1
    if seen[0] > limits.max_entries:
        raise ArchiveError(f"the archive has more than {limits.max_entries} entries (files and folders)")


def _reserve(name: str, size: int, limits: Limits, total: list[int]) -> None:
    total[0] += max(size, 0)
    if total[0] > limits.max_total_bytes:
        raise ArchiveTooLarge(f"the archive unpacks to more than {limits.max_total_bytes} bytes (at entry {name!r})")


# Room for headers before any entry explains them: long names in PAX/GNU headers need a few KiB.
HEADER_SLACK = 1024 * 1024
PER_ENTRY_OVERHEAD = 8 * tarfile.BLOCKSIZE  # its header, a PAX or GNU long-name header, padding


class BoundedStream(io.RawIOBase):
    """A decompressed tar stream that refuses to yield more than `allowance` bytes in total.

    tarfile reads a PAX or GNU long-name header's whole payload into memory before it yields the
    member, so the sizes it reports come too late; the allowance grows only with the entries
    accepted so far (their data plus a few blocks each) over a fixed slack for headers.
    """

    def __init__(self, raw):
        self.raw, self.allowance, self.produced = raw, HEADER_SLACK, 0

    def readable(self) -> bool:
        return True

    def allow(self, size: int) -> None:
        blocks = -(-max(size, 0) // tarfile.BLOCKSIZE) * tarfile.BLOCKSIZE
        self.allowance += blocks + PER_ENTRY_OVERHEAD

    def read(self, size: int = -1) -> bytes:
        room = self.allowance - self.produced
        want = room + 1 if size is None or size < 0 else min(size, room + 1)
        chunk = self.raw.read(want)
        self.produced += len(chunk)
        if self.produced > self.allowance:
            raise ArchiveTooLarge(
                f"the archive unpacks to more than its entries explain (over {self.allowance} bytes after "
                f"{self.produced - len(chunk)} bytes read): an oversized or compressed-bomb header is refused"
            )
        return chunk

    def readinto(self, buffer) -> int:
        chunk = self.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _decompressed(data: bytes):
    """A file object over the tar inside `data`, decompressed lazily (gzip, bzip2, xz or none)."""
    source = io.BytesIO(data)
    if data[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=source, mode="rb")
    if data[:3] == b"BZh":
        return bz2.BZ2File(source, mode="rb")
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(source, mode="rb")
    return source


def _read_tar(data: bytes, limits: Limits) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    total, seen = [0], [0]
    try:
        stream = BoundedStream(_decompressed(data))
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                _count(seen, limits)
                stream.allow(member.size if member.isreg() else 0)
                if member.isdir():
                    check_name(member.name)
                    continue
                if member.issym() or member.islnk():
                    raise ArchiveError(f"entry {member.name!r} is a link; only regular files are accepted")
                if not member.isreg() or member.issparse():
                    raise ArchiveError(f"entry {member.name!r} is not a regular file")
                check_name(member.name)
                _reserve(member.name, member.size, limits, total)
                handle = tar.extractfile(member)
                content = handle.read(member.size + 1) if handle else b""
                if len(content) != member.size:
                    raise ArchiveError(f"entry {member.name!r} is truncated or larger than it says")
                _add(entries, member.name, content, limits)
    except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError, lzma.LZMAError) as err:
        raise ArchiveError(f"not a readable tar archive: {err}") from None
    return entries


def _read_zip(data: bytes, limits: Limits) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    total, seen = [0], [0]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                _count(seen, limits)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise ArchiveError(f"entry {info.filename!r} is a link; only regular files are accepted")
                if info.is_dir():
                    check_name(info.filename)
                    continue
                if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
                    raise ArchiveError(f"entry {info.filename!r} is not a regular file")
                check_name(info.filename)
                _reserve(info.filename, info.file_size, limits, total)
                with archive.open(info) as handle:
                    content = handle.read(info.file_size + 1)
                if len(content) != info.file_size:
                    raise ArchiveError(f"entry {info.filename!r} is larger than it says")
                _add(entries, info.filename, content, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError) as err:
        raise ArchiveError(f"not a readable zip archive: {err}") from None
    return entries


def read(data: bytes, limits: Limits = Limits()) -> list[Entry]:
    """The regular files of a tar/tar.gz/zip archive, every name and size checked."""
    if not data:
        raise ArchiveError("the upload is empty; expected a tar.gz or zip archive")
    entries = _read_zip(data, limits) if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") else _read_tar(data, limits)
    names = set(entries)
    for name in names:
        parent = PurePosixPath(name).parent
        while str(parent) != ".":
            if str(parent) in names:
                raise ArchiveError(f"entry {str(parent)!r} is both a file and the folder of {name!r}")
            parent = parent.parent
    return sorted(entries.items())


def pack(entries: Iterable[Entry], mtime: float = 0) -> bytes:
    """A tar.gz of regular files with fixed modes (0644); names are checked again."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name, content in entries:
            info = tarfile.TarInfo(check_name(name))
            info.size, info.mode, info.mtime = len(content), 0o644, mtime
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


Ignore = Callable[[str, list[str]], Iterable[str]]


def pack_folder(folder: Path, ignore: Ignore | None = None, max_bytes: int | None = None) -> tuple[bytes, list[str]]:
    """Archive the regular files under `folder` (links and special files are skipped, not followed).

    `ignore` has shutil.copytree's signature, so nbgrader's ignore/include/size rules apply as-is.
    """
    folder = Path(folder)
    entries: list[Entry] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        skipped = set(ignore(dirpath, dirnames + filenames)) if ignore else set()
        dirnames[:] = sorted(d for d in dirnames if d not in skipped and not os.path.islink(os.path.join(dirpath, d)))
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if name in skipped or path.is_symlink() or not path.is_file():
                continue
            content = path.read_bytes()
            total += len(content)
            if max_bytes is not None and total > max_bytes:
                raise ArchiveError(f"{folder} holds more than {max_bytes} bytes")
            entries.append((path.relative_to(folder).as_posix(), content))
    return pack(entries), [name for name, _ in entries]


def extract(entries: Iterable[Entry], dest: Path, overwrite: bool = True) -> list[Path]:
    """Write checked entries under `dest`, never through a symlink; returns the files written."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in entries:
        parts = check_name(name).split("/")
        folder = dest
        for part in parts[:-1]:
            folder = folder / part
            if folder.is_symlink():
                raise ArchiveError(f"refusing to write {name!r}: {folder} is a symlink")
            folder.mkdir(exist_ok=True)
        target = folder / parts[-1]
        if target.is_symlink():
            raise ArchiveError(f"refusing to write {name!r}: {target} is a symlink")
        if target.exists() and not overwrite:
            continue
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        fd = os.open(target, flags, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        written.append(target)
    return written
