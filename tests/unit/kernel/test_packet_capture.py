"""The rootless capture's own parts: tcpdump's compiled filter read as instructions, and pcap
records tcpdump can read back."""

import shutil
import struct
import subprocess

import pytest

from mnss_kernel.runtime import packet_capture


def test_a_compiled_filter_is_read_as_its_instructions():
    words = ["2", "40 0 0 12", "6 0 0 262144"]
    assert packet_capture.parse_program(words) == [(40, 0, 0, 12), (6, 0, 0, 262144)]
    assert packet_capture.parse_program([]) == []  # no filter: every packet


@pytest.mark.parametrize("words", [["3", "40 0 0 12"], ["1", "40 0 12"]])
def test_a_truncated_filter_is_refused(words):
    with pytest.raises(ValueError):
        packet_capture.parse_program(words)


@pytest.mark.skipif(shutil.which("tcpdump") is None, reason="tcpdump is not installed (make test installs it)")
def test_the_written_file_is_a_pcap_tcpdump_reads(tmp_path):
    frame = bytes.fromhex("ffffffffffff0200000000010806") + bytes(46)  # an Ethernet broadcast, ARP type
    pcap = tmp_path / "one.pcap"
    pcap.write_bytes(packet_capture.PCAP_HEADER + packet_capture.record(frame, 1_700_000_000.25))
    seconds, micros, kept, length = struct.unpack("<IIII", pcap.read_bytes()[24:40])
    assert (seconds, micros, kept, length) == (1_700_000_000, 250_000, 60, 60)
    read = subprocess.run(["tcpdump", "-r", str(pcap), "-n", "-e"], capture_output=True, text=True)
    assert read.returncode == 0 and "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff" in read.stdout, read
