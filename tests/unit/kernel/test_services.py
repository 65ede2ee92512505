"""mnss_kernel.services without a network: MLLP framing, HL7 messages and ACKs, the registry, bad arguments."""

import json

import pytest
from hl7apy.parser import parse_message

from mnss_kernel.catalog import KINDS
from mnss_kernel.services import (
    PROBES,
    ROW_KEYS,
    SERVICES,
    cli,
    dicom_echo,
    dicom_store,
    hl7_send,
    hl7msg,
    http_get,
    mllp,
    probe,
    sample_image_path,
    tcp_connect,
    tcp_echo,
)
from mnss_kernel.services.rows import describe_error, row
from mnss_kernel.services.sqldb import sql_query

ALL_PROBES = [dicom_echo, dicom_store, hl7_send, http_get, tcp_echo, tcp_connect]


# --- MLLP framing -------------------------------------------------------------------------------


def test_frame_wraps_message_in_vt_and_fs_cr():
    assert mllp.frame("MSH|x") == b"\x0bMSH|x\x1c\x0d"
    assert mllp.frame("患者") == b"\x0b" + "患者".encode() + b"\x1c\x0d"


def test_frame_refuses_block_characters_inside_a_message():
    with pytest.raises(mllp.FramingError, match="0x0b or 0x1c"):
        mllp.frame("MSH|\x1cbad")
    with pytest.raises(mllp.FramingError):
        mllp.frame(b"\x0bMSH")


def test_decoder_reassembles_messages_split_anywhere():
    stream = mllp.frame("first") + mllp.frame("second") + mllp.frame("third")
    for cut in range(1, len(stream)):
        decoder = mllp.Decoder()
        got = decoder.feed(stream[:cut]) + decoder.feed(stream[cut:])
        assert got == [b"first", b"second", b"third"], cut
        assert decoder.pending == 0


def test_decoder_byte_by_byte_and_garbage_between_frames():
    decoder = mllp.Decoder()
    got = []
    for byte in b"noise" + mllp.frame("one") + b"\r\n" + mllp.frame("two"):
        got += decoder.feed(bytes([byte]))
    assert got == [b"one", b"two"]
    assert decoder.discarded == len(b"noise") + 2


def test_decoder_keeps_an_unfinished_message_pending():
    decoder = mllp.Decoder()
    assert decoder.feed(b"\x0bMSH|half") == []
    assert decoder.pending == len(b"\x0bMSH|half")
    assert decoder.feed(b"\x1c") == []  # FS without CR is not yet the end
    assert decoder.feed(b"\x0d") == [b"MSH|half"]


def test_decoder_drops_oversized_messages():
    decoder = mllp.Decoder(max_message=10)
    with pytest.raises(mllp.FramingError, match="10-byte limit"):
        decoder.feed(b"\x0b" + b"x" * 11)
    with pytest.raises(mllp.FramingError):
        mllp.Decoder(max_message=10).feed(mllp.frame("y" * 11))
    assert mllp.Decoder(max_message=10).feed(mllp.frame("z" * 10)) == [b"z" * 10]


# --- HL7 messages and ACKs ----------------------------------------------------------------------


def test_adt_a01_is_valid_hl7_with_synthetic_patient():
    text = hl7msg.build_adt_a01(control_id="CTRL42")
    parsed = parse_message(text)
    assert parsed.name == "ADT_A01"
    assert parsed.msh.msh_9.to_er7() == "ADT^A01^ADT_A01"
    assert parsed.msh.msh_10.to_er7() == "CTRL42"
    assert parsed.msh.msh_11.to_er7() == "T"  # training, never production
    assert parsed.pid.pid_5.to_er7().startswith("TESTPATIENT^SYNTHETIC")
    assert parsed.pid.pid_3.to_er7().startswith("MNSS-TEST-")
    assert "\n" not in text and text.count("\r") == 3  # MSH, EVN, PID, PV1


def test_control_ids_are_unique_and_fit_hl7_limit():
    ids = {hl7msg.control_id(hl7msg.build_adt_a01()) for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) <= 20 for i in ids)


def test_ack_accepts_a_good_message_and_echoes_its_control_id():
    text = hl7msg.build_adt_a01(control_id="CTRL42")
    ack_text = hl7msg.build_ack(text)
    ack = hl7msg.read_ack(ack_text)
    assert (ack.code, ack.control_id, ack.accepted) == ("AA", "CTRL42", True)
    fields = hl7msg.msh_fields(ack_text)
    assert fields[9] == "ACK^A01^ACK"
    assert (fields[3], fields[5]) == ("MNSS-LIS", "MNSS-HIS")  # sender and receiver swapped
    assert fields[11] == "T" and fields[12] == "2.5"
    assert parse_message(ack_text).name == "ACK"


def test_ack_accepts_lf_separated_messages_and_other_versions():
    text = "MSH|^~\\&|LAB|H|HIS|H|20240101||ORU^R01|LF1|P|2.3\nPID|1||X1\nOBR|1\n"
    ack = hl7msg.read_ack(hl7msg.build_ack(text))
    assert (ack.code, ack.control_id) == ("AA", "LF1")
    assert hl7msg.msh_fields(hl7msg.build_ack(text))[9] == "ACK^R01"  # no MSH-9.3 before v2.3.1
    assert hl7msg.msh_fields(hl7msg.build_ack(text))[12] == "2.3"


@pytest.mark.parametrize(
    "text, control_id, reason",
    [
        ("this is not HL7", "", "cannot parse HL7 message"),
        ("", "", "empty message"),
        ("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|V99|P|9.9", "V99", "version 9.9 is not supported"),
        ("MSH|^~\\&|A|B|C|D|20240101||ADT^A01||P|2.5", "", "MSH-10 (message control id) is empty"),
    ],
)
def test_ack_rejects_bad_input_with_readable_reason(text, control_id, reason):
    ack_text = hl7msg.build_ack(text)
    ack = hl7msg.read_ack(ack_text)
    assert ack.code == "AE" and not ack.accepted
    assert ack.control_id == control_id
    assert reason in ack.text
    assert parse_message(ack_text).msa.msa_1.to_er7() == "AE"  # the AE itself is well-formed HL7


def test_error_text_cannot_break_the_ack_structure():
    ack_text = hl7msg.build_ack("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|X\rY|P|9.9")
    assert all(seg[:3] in ("MSH", "MSA") for seg in ack_text.split("\r"))


def test_read_ack_of_something_that_is_not_an_ack():
    assert hl7msg.read_ack("HTTP/1.1 200 OK").code is None
    assert hl7msg.read_ack(hl7msg.build_adt_a01()).code is None


# --- rows, registry ---------------------------------------------------------------------------------


def test_row_shape_and_rounding():
    r = row("http", "10.0.0.1", 80, True, 1.23456789, "HTTP 200")
    assert tuple(r) == ROW_KEYS
    assert r["rtt_ms"] == 1.235
    assert row("http", "h", 80, False, None, "x")["rtt_ms"] is None


def test_error_wording():
    assert (
        describe_error(ConnectionRefusedError(111, "Connection refused"), 2)
        == "connection refused (nothing is listening on that port)"
    )
    assert describe_error(TimeoutError("timed out"), 2.5) == "timed out after 2.5 s"
    assert describe_error(OSError(113, "No route to host"), 2) == "host unreachable (no route to it)"


def test_every_catalog_service_has_a_server_or_a_counterpart():
    served = {k: s.name for s in SERVICES.values() for k in s.kinds}
    clients = {k: s.name for s in SERVICES.values() for k in s.client_kinds}
    for k in KINDS.values():
        if k.service:
            assert k.name in served or k.name in clients, k.name
    assert served["pacs"] == "dicom-scp" and SERVICES["dicom-scp"].probe is dicom_echo
    assert clients["modality"] == "dicom-scp"
    assert served["his"] == served["lis"] == "hl7-mllp"
    assert served["emr"] == "http" and SERVICES["http"].probe is http_get
    assert served["database"] == "mysql" and SERVICES["mysql"].default_port == 3306
    assert "host" not in served and "host" not in clients and "modality" not in served
    assert {s.default_port for s in SERVICES.values()} == {11112, 2575, 8080, 5432, 3306}


def test_probe_lookup_by_probe_or_service_name():
    assert probe("dicom-scp") is dicom_echo and probe("dicom-store") is dicom_store
    assert probe("hl7-mllp") is hl7_send and probe("tcp-echo") is tcp_echo
    assert probe("mysql") is sql_query and probe("sql") is sql_query and probe("tcp") is tcp_connect
    assert set(PROBES.values()) == set(ALL_PROBES) | {sql_query}


def test_sample_image_is_bundled_with_pydicom():
    path = sample_image_path()
    assert path.is_file() and "site-packages" in str(path) and path.name == "CT_small.dcm"


# --- argument errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("fn", ALL_PROBES)
@pytest.mark.parametrize(
    "host, port, timeout",
    [
        ("127.0.0.1", 0, 1),
        ("127.0.0.1", 65536, 1),
        ("127.0.0.1", "80", 1),
        ("127.0.0.1", True, 1),
        ("", 80, 1),
        (None, 80, 1),
        ("127.0.0.1", 80, 0),
        ("127.0.0.1", 80, -1),
        ("127.0.0.1", 80, float("nan")),
    ],
)
def test_probes_refuse_bad_arguments_before_any_traffic(fn, host, port, timeout):
    with pytest.raises(ValueError):
        fn(host, port, timeout=timeout)


def test_other_probe_argument_errors():
    with pytest.raises(ValueError, match="path must start"):
        http_get("127.0.0.1", 80, path="index.html")
    with pytest.raises(TypeError, match="HL7 ER7 text"):
        hl7_send("127.0.0.1", 2575, message=b"MSH|")


@pytest.mark.parametrize(
    "argv, complaint",
    [
        (["serve", "ftp"], "invalid choice"),
        (["serve", "http", "--port", "70000"], "outside 0-65535"),
        (["serve", "http", "--port", "eighty"], "not a port number"),
        (["serve", "http", "--storage", "/tmp/x"], "--storage only applies to dicom-scp"),
        (["serve", "tcp-echo", "--ae-title", "X"], "--ae-title only applies to dicom-scp"),
        (["probe", "http", "127.0.0.1", "0"], "outside 1-65535"),
        (["probe", "http", "127.0.0.1"], "required"),
        (["probe", "http", "127.0.0.1", "80", "--timeout", "0"], "timeout must be positive"),
        (["probe", "tcp-echo", "127.0.0.1", "80", "--called-ae", "PACS"], "--called-ae does not apply"),
        (["probe", "dicom-echo", "127.0.0.1", "80", "--image", "x.dcm"], "--image does not apply"),
        (["probe", "hl7", "127.0.0.1", "80", "--message-file", "/nonexistent/msg.hl7"], "No such file"),
        (["probe", "dicom-echo", "127.0.0.1", "11112", "--ae-title", "AE-TITLE-OF-17-CH"], "must not exceed 16"),
        (["serve", "dicom-scp", "--ae-title", "AE-TITLE-OF-17-CH"], "must not exceed 16"),
        ([], "required"),
    ],
)
def test_cli_usage_errors_exit_2_with_a_reason(argv, complaint, capsys):
    assert cli.main(argv) == 2
    assert complaint in capsys.readouterr().err


def test_cli_refuses_a_file_that_is_not_dicom(tmp_path, capsys):
    junk = tmp_path / "junk.dcm"
    junk.write_text("not DICOM")
    assert cli.main(["probe", "dicom-store", "127.0.0.1", "11112", "--image", str(junk)]) == 2
    assert "DICOM" in capsys.readouterr().err


def test_cli_list_prints_the_registry(capsys):
    assert cli.main(["list"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["dicom-scp"] == {
        "default_port": 11112,
        "kinds": ["pacs"],
        "probe": "dicom-echo",
        "client_kinds": ["modality"],
    }
    assert listing["hl7-mllp"]["kinds"] == ["his", "lis"]
