"""Each service as a real process on 127.0.0.1, checked by the real probes. Loopback only.

Servers listen on port 0 (the kernel picks a free port, reported on the READY line), so tests
never race for ports; every server is stopped with SIGTERM (then killed) even if a test fails.
"""

import json
import selectors
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from pydicom import dcmread

from mnss_kernel.services import (
    dicom_echo,
    dicom_store,
    hl7_send,
    hl7msg,
    http_get,
    mllp,
    sample_image_path,
    tcp_connect,
    tcp_echo,
)

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
SERVICE_CMD = [sys.executable, "-m", "mnss_kernel.services"]


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    """One stdout line of proc, or '' if none arrives in time or it exits."""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            return ""
        return proc.stdout.readline()


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    return proc.returncode


@contextmanager
def serving(kind: str, *args: str, tmp_path: Path, port: int = 0):
    """Start `serve KIND` on loopback, wait for READY, yield (port, proc); always stop it."""
    stderr = (tmp_path / f"{kind}.stderr").open("w+")
    proc = subprocess.Popen(
        [*SERVICE_CMD, "serve", kind, "--host", LOOPBACK, "--port", str(port), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    try:
        line = _read_line(proc, timeout=30)
        if not line.startswith(f"READY {kind} "):
            _stop(proc)
            stderr.seek(0)
            pytest.fail(f"{kind} server did not get ready: stdout={line!r} stderr={stderr.read()!r}")
        yield int(line.split()[2]), proc
    finally:
        _stop(proc)
        stderr.close()


@contextmanager
def closed_port():
    """A loopback port that is bound but not listening: connections to it are refused, surely."""
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


@contextmanager
def silent_server():
    """A loopback port that accepts connections (kernel backlog) and never answers a byte."""
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    sock.listen(8)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _assert_good_row(result: dict, service: str, port: int) -> None:
    assert result["ok"] is True, result
    assert (result["service"], result["server"], result["port"]) == (service, LOOPBACK, port)
    assert isinstance(result["rtt_ms"], float) and 0 < result["rtt_ms"] < 5000


# --- the PACS -------------------------------------------------------------------------------------


def test_pacs_answers_echo_and_stores_the_sample_ct(tmp_path):
    storage = tmp_path / "pacs"
    sample = dcmread(sample_image_path())
    with serving("dicom-scp", "--storage", str(storage), "--ae-title", "TEST-PACS", tmp_path=tmp_path) as (port, _):
        echo = dicom_echo(LOOPBACK, port, called_ae="TEST-PACS")
        _assert_good_row(echo, "dicom-scp", port)
        assert echo["detail"] == "C-ECHO status 0x0000 (success)"

        stored = dicom_store(LOOPBACK, port, called_ae="TEST-PACS")
        _assert_good_row(stored, "dicom-scp", port)
        assert f"SOPInstanceUID={sample.SOPInstanceUID}" in stored["detail"]

    files = sorted(p.name for p in storage.iterdir())
    assert files == [f"{sample.SOPInstanceUID}.dcm"]  # and no leftover partial file
    received = dcmread(storage / files[0])
    assert received.SOPInstanceUID == sample.SOPInstanceUID
    assert received.SOPClassUID == "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
    assert received.PixelData == sample.PixelData


def test_pacs_stores_an_image_given_as_a_file(tmp_path):
    sample = dcmread(sample_image_path())
    sample.SOPInstanceUID = "1.2.826.0.1.3680043.8.498.1234567890"  # a made-up UID for a second image
    image = tmp_path / "other.dcm"
    sample.save_as(image)
    storage = tmp_path / "pacs"
    with serving("dicom-scp", "--storage", str(storage), tmp_path=tmp_path) as (port, _):
        result = dicom_store(LOOPBACK, port, image=image)
    _assert_good_row(result, "dicom-scp", port)
    assert dcmread(storage / "1.2.826.0.1.3680043.8.498.1234567890.dcm").SOPInstanceUID == sample.SOPInstanceUID


# --- HIS / LIS --------------------------------------------------------------------------------------


def test_hl7_adt_is_acknowledged_with_its_control_id(tmp_path):
    with serving("hl7-mllp", tmp_path=tmp_path) as (port, _):
        message = hl7msg.build_adt_a01(control_id="TESTCTRL0001")
        result = hl7_send(LOOPBACK, port, message=message)
        default = hl7_send(LOOPBACK, port)
    _assert_good_row(result, "hl7-mllp", port)
    assert result["detail"] == "ACK AA for control id TESTCTRL0001"
    _assert_good_row(default, "hl7-mllp", port)


def test_bad_hl7_gets_an_ae_ack(tmp_path):
    with serving("hl7-mllp", tmp_path=tmp_path) as (port, _):
        result = hl7_send(LOOPBACK, port, message="this is not an HL7 message")
    assert result["ok"] is False
    assert result["detail"].startswith("ACK AE: cannot parse HL7 message")
    assert result["rtt_ms"] is not None  # the server did answer, just with an error


def test_mllp_server_answers_several_messages_on_one_connection_in_order(tmp_path):
    with serving("hl7-mllp", tmp_path=tmp_path) as (port, _):
        with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
            ids = ["FIRST01", "SECOND02"]
            wire = b"".join(mllp.frame(hl7msg.build_adt_a01(control_id=i)) for i in ids) + mllp.frame("junk")
            sock.sendall(wire[:7])  # arrives in pieces, like a slow link
            time.sleep(0.05)
            sock.sendall(wire[7:])
            decoder, replies = mllp.Decoder(), []
            while len(replies) < 3:
                chunk = sock.recv(65536)
                assert chunk, "server closed the connection early"
                replies += decoder.feed(chunk)
    acks = [hl7msg.read_ack(r.decode()) for r in replies]
    assert [(a.code, a.control_id) for a in acks] == [("AA", "FIRST01"), ("AA", "SECOND02"), ("AE", "")]


# --- EMR / web, database ----------------------------------------------------------------------------


def test_http_get_names_the_service(tmp_path):
    with serving("http", tmp_path=tmp_path) as (port, _):
        result = http_get(LOOPBACK, port)
        missing = http_get(LOOPBACK, port, path="/no-such-page")
    _assert_good_row(result, "http", port)
    assert result["detail"] == "HTTP 200 OK, service=http"
    assert missing["ok"] is False and missing["detail"].startswith("HTTP 404")


def test_tcp_echo_on_a_chosen_port(tmp_path):
    with closed_port() as free:  # released just before the server binds it (another process could
        pass  # take it in between; then this test fails, it does not hang)
    with serving("tcp-echo", tmp_path=tmp_path, port=free) as (port, _):
        assert port == free
        result = tcp_echo(LOOPBACK, port)
    _assert_good_row(result, "tcp-echo", port)
    assert result["detail"].startswith("echoed ")


def test_tcp_connect_only_opens_a_connection(tmp_path):
    """For a listener that speaks nothing the engine knows (a firewall exercise's)."""
    with serving("tcp-echo", tmp_path=tmp_path) as (port, _):
        result = tcp_connect(LOOPBACK, port)
    _assert_good_row(result, "tcp", port)
    assert result["detail"] == "connection opened"
    with closed_port() as closed:  # nothing listens: refused at once (a silent listener would be ok)
        started = time.monotonic()
        refused = tcp_connect(LOOPBACK, closed, timeout=3)
        assert refused["ok"] is False and "refused" in refused["detail"] and time.monotonic() - started < 1.5


# --- failures are rows, quickly -------------------------------------------------------------------

PROBES = [dicom_echo, dicom_store, hl7_send, http_get, tcp_echo]  # tcp_connect has its own test above


# a server that fails -> (the probe's timeout, what the row's detail says, how soon it comes)
FAILURES = {closed_port: (3, "refused", 1.5), silent_server: (0.5, "0.5 s", 3)}


@pytest.mark.parametrize("probe", PROBES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("server", FAILURES, ids=lambda f: f.__name__)
def test_a_failing_server_gives_a_failed_row_quickly(probe, server):
    """A closed port is refused at once; a silent server is given up after the probe's timeout."""
    timeout, says, within = FAILURES[server]
    with server() as port:
        started = time.monotonic()
        result = probe(LOOPBACK, port, timeout=timeout)
        took = time.monotonic() - started
    assert result["ok"] is False and result["rtt_ms"] is None
    assert says in result["detail"].lower(), result
    assert took < within, (took, result)


# --- the process contract -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dicom-scp", "hl7-mllp", "http", "tcp-echo"])
def test_server_prints_one_ready_line_and_exits_0_on_sigterm(kind, tmp_path):
    options = ["--storage", str(tmp_path / "pacs")] if kind == "dicom-scp" else []
    with serving(kind, *options, tmp_path=tmp_path) as (port, proc):
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert proc.stdout.read() == ""  # nothing after the READY line


def test_server_on_a_busy_port_fails_with_a_clear_message(tmp_path):
    with silent_server() as busy:
        proc = subprocess.run(
            [*SERVICE_CMD, "serve", "tcp-echo", "--host", LOOPBACK, "--port", str(busy)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert f"cannot serve tcp-echo on {LOOPBACK}:{busy}" in proc.stderr and "in use" in proc.stderr


def test_probe_cli_prints_json_and_exit_status(tmp_path):
    with serving("tcp-echo", tmp_path=tmp_path) as (port, _):
        good = subprocess.run(
            [*SERVICE_CMD, "probe", "tcp-echo", LOOPBACK, str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)["ok"] is True
    with closed_port() as port:
        bad = subprocess.run(
            [*SERVICE_CMD, "probe", "dicom-scp", LOOPBACK, str(port), "--timeout", "2"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert bad.returncode == 1, bad.stderr
    row = json.loads(bad.stdout)
    assert row["ok"] is False and row["service"] == "dicom-scp" and "refused" in row["detail"]


def test_database_server_answers_real_sql_and_a_stopped_one_is_refused():
    """The 'database' kind's server speaks the MySQL protocol; any MySQL client can query it."""
    import pymysql

    from mnss_kernel.services.sqldb import WARDS, sql_query, start_sql_server

    server = start_sql_server("127.0.0.1", 0)
    try:
        result = sql_query("127.0.0.1", server.port)
        assert result["ok"] and result["rtt_ms"] > 0 and "3 wards, 90 beds" in result["detail"]
        conn = pymysql.connect(host="127.0.0.1", port=server.port, user="ward", password="")
        with conn.cursor() as cur:
            cur.execute("INSERT INTO wards (id, name, beds) VALUES (4, 'Paediatrics', 20)")
            cur.execute("SELECT name FROM wards WHERE beds >= %s ORDER BY id", (20,))
            assert [r[0] for r in cur.fetchall()] == [w[1] for w in WARDS if w[2] >= 20] + ["Paediatrics"]
        conn.close()
    finally:
        server.stop()
    refused = sql_query("127.0.0.1", server.port, timeout=1)
    assert not refused["ok"] and "Connection refused" in refused["detail"]
