"""Archive safety: only regular files with clean relative names get in or out, whatever the format."""

import io
import stat
import tarfile
import time
import tracemalloc
import zipfile
import zlib

import pytest

from mnss_courses.exchange import archive
from mnss_courses.exchange.archive import ArchiveError, Limits


def tar_of(*members, mode="w:gz") -> bytes:
    """members: (TarInfo kwargs dict, content bytes or None)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for fields, content in members:
            info = tarfile.TarInfo(fields.pop("name"))
            for key, value in fields.items():
                setattr(info, key, value)
            if content is not None:
                info.size = len(content)
            tar.addfile(info, io.BytesIO(content) if content is not None else None)
    return buffer.getvalue()


def zip_of(*members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, content, mode in members:
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            z.writestr(info, content)
    return buffer.getvalue()


def test_round_trip_keeps_files_and_folders():
    data = archive.pack([("a.ipynb", b"{}"), ("data/x.csv", b"1,2")])
    assert archive.read(data) == [("a.ipynb", b"{}"), ("data/x.csv", b"1,2")]


@pytest.mark.parametrize(
    "name",
    [
        "../evil.ipynb",
        "a/../../evil",
        "/etc/passwd",
        "a//b",
        "a/./b",
        "C:/x",
        "a\\..\\b",
        "bad\x00name",
        "bad\nname",
        "",
        ".",
    ],
)
def test_bad_names_are_refused(name):
    with pytest.raises(ArchiveError):
        archive.check_name(name)


@pytest.mark.parametrize("name", ["../../etc/cron.d/x", "/root/.ssh/authorized_keys"])
def test_traversal_in_tar_is_refused(name):
    with pytest.raises(ArchiveError, match="leaves its folder|absolute"):
        archive.read(tar_of(({"name": name}, b"x")))


def test_leading_dot_slash_is_normalised():
    assert archive.read(tar_of(({"name": "./nb.ipynb"}, b"{}"))) == [("nb.ipynb", b"{}")]


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_links_in_tar_are_refused(kind):
    data = tar_of(({"name": "nb.ipynb", "type": kind, "linkname": "/etc/shadow"}, None))
    with pytest.raises(ArchiveError, match="is a link"):
        archive.read(data)


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE])
def test_special_files_in_tar_are_refused(kind):
    with pytest.raises(ArchiveError, match="not a regular file"):
        archive.read(tar_of(({"name": "dev", "type": kind}, None)))


def test_plain_uncompressed_tar_is_read():
    assert archive.read(tar_of(({"name": "a.txt"}, b"hi"), mode="w")) == [("a.txt", b"hi")]


def test_zip_traversal_and_symlink_are_refused():
    with pytest.raises(ArchiveError, match="leaves its folder"):
        archive.read(zip_of(("../x.ipynb", b"{}", stat.S_IFREG | 0o644)))
    with pytest.raises(ArchiveError, match="is a link"):
        archive.read(zip_of(("nb.ipynb", b"/etc/passwd", stat.S_IFLNK | 0o777)))


def test_zip_regular_files_are_read():
    assert archive.read(zip_of(("nb.ipynb", b"{}", stat.S_IFREG | 0o644), ("d/", b"", stat.S_IFDIR | 0o755))) == [
        ("nb.ipynb", b"{}")
    ]


def test_limits_on_count_size_depth_and_duplicates():
    many = archive.pack([(f"f{i}", b"") for i in range(5)])
    with pytest.raises(ArchiveError, match="more than 4 entries"):
        archive.read(many, Limits(max_entries=4))
    big = archive.pack([("big", b"\0" * 10_000)])  # compresses to almost nothing: a small bomb
    assert len(big) < 1000
    with pytest.raises(ArchiveError, match="unpacks to more than 5000 bytes"):
        archive.read(big, Limits(max_total_bytes=5000))
    with pytest.raises(ArchiveError, match="nested deeper"):
        archive.read(archive.pack([("a/b/c/d", b"")]), Limits(max_depth=3))
    with pytest.raises(ArchiveError, match="more than once"):
        archive.read(tar_of(({"name": "x"}, b"1"), ({"name": "./x"}, b"2")))
    with pytest.raises(ArchiveError, match="both a file and the folder"):
        archive.read(tar_of(({"name": "x"}, b"1"), ({"name": "x/y"}, b"2")))


def test_garbage_and_empty_uploads_are_refused():
    with pytest.raises(ArchiveError, match="empty"):
        archive.read(b"")
    with pytest.raises(ArchiveError, match="not a readable tar"):
        archive.read(b"this is not an archive at all" * 20)


def test_pack_folder_skips_links_and_honours_ignore(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "nb.ipynb").write_text("{}")
    (src / "sub" / "data.csv").write_text("1")
    (src / "skip.pyc").write_text("x")
    (src / "link").symlink_to("/etc/passwd")
    (src / "linkdir").symlink_to("/etc", target_is_directory=True)
    data, names = archive.pack_folder(src, ignore=lambda d, names: [n for n in names if n.endswith(".pyc")])
    assert names == ["nb.ipynb", "sub/data.csv"]
    with pytest.raises(ArchiveError, match="more than 2 bytes"):
        archive.pack_folder(src, max_bytes=2)


def test_extract_never_writes_through_a_symlink(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ArchiveError, match="is a symlink"):
        archive.extract([("sub/x.txt", b"owned")], dest)
    (dest / "f.txt").symlink_to(outside / "target.txt")
    with pytest.raises(ArchiveError, match="is a symlink"):
        archive.extract([("f.txt", b"owned")], dest)
    assert list(outside.iterdir()) == []


def test_extract_can_keep_existing_files(tmp_path):
    (tmp_path / "a.txt").write_text("mine")
    written = archive.extract([("a.txt", b"theirs"), ("b.txt", b"new")], tmp_path, overwrite=False)
    assert [p.name for p in written] == ["b.txt"]
    assert (tmp_path / "a.txt").read_text() == "mine"


def gzip_bombed_pax_header(unpacked: int) -> bytes:
    """A tar.gz whose first member is a PAX header claiming `unpacked` bytes of zeros: about
    unpacked/1000 bytes on the wire (built chunk by chunk, never held whole)."""
    header = tarfile.TarInfo("././@PaxHeader")
    header.type, header.size = tarfile.XHDTYPE, unpacked
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [gz.compress(header.tobuf(tarfile.USTAR_FORMAT))]
    chunk = b"\0" * (1024 * 1024)
    for _ in range(unpacked // len(chunk)):
        parts.append(gz.compress(chunk))
    return b"".join([*parts, gz.flush()])


def test_gzip_bombed_pax_header_is_refused_before_it_is_buffered():
    bomb = gzip_bombed_pax_header(256 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # a small upload
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(archive.ArchiveTooLarge, match="compressed-bomb header"):
            archive.read(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"reading the bomb allocated {peak} bytes"
    assert time.monotonic() - started < 5


def test_legitimate_long_names_still_fit_in_the_header_slack():
    name = "/".join(["d" * 200] * 4) + "/nb.ipynb"  # PAX header for a 800-byte name
    assert archive.read(archive.pack([(name, b"{}")])) == [(name, b"{}")]


@pytest.mark.parametrize("mode", ["w:bz2", "w:xz", "w"])
def test_other_tar_compressions_are_still_read(mode):
    assert archive.read(tar_of(({"name": "a.txt"}, b"hi"), mode=mode)) == [("a.txt", b"hi")]


@pytest.mark.parametrize("length", [256, 300, 5000])
def test_over_long_file_names_are_refused(length):
    with pytest.raises(ArchiveError, match="longer than"):
        archive.read(archive_with_name("n" * length))


def test_over_long_whole_paths_are_refused():
    name = "/".join(["p" * 250] * 5)  # every part fits, the whole does not
    with pytest.raises(ArchiveError, match="longer than 1024 bytes"):
        archive.read(archive_with_name(name))


def archive_with_name(name: str) -> bytes:
    return tar_of(({"name": name}, b"x"))


def test_a_255_byte_name_is_accepted():
    assert archive.read(archive_with_name("n" * 255)) == [("n" * 255, b"x")]


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_folders_count_towards_the_entry_limit(kind):
    folders = [f"d{i}/" for i in range(5)]
    if kind == "tar":
        data = tar_of(*(({"name": d, "type": tarfile.DIRTYPE}, None) for d in folders))
    else:
        data = zip_of(*((d, b"", stat.S_IFDIR | 0o755) for d in folders))
    with pytest.raises(ArchiveError, match="more than 4 entries"):
        archive.read(data, Limits(max_entries=4))


def test_the_entry_limit_of_long_named_files_fits_in_the_header_allowance():
    """2000 files with 1000-byte names: every PAX header is explained by its entry."""
    entries = [(f"{i:04d}/" + "/".join(["n" * 240] * 4), b"x" * (i % 700)) for i in range(2000)]
    assert len(archive.read(archive.pack(entries))) == 2000
