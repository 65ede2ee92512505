"""What an imaging modality does to a PACS: C-ECHO (the DICOM ping) and C-STORE of an image.

The image is pydicom's bundled CT_small.dcm, read from the installed wheel and never downloaded.
rtt_ms runs from opening the association to the C-ECHO/C-STORE response; the release after it is
not counted, so the figure is what a modality waits for per exchange.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydicom import dcmread
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.association import Association
from pynetdicom.sop_class import Verification

from .rows import check_target, describe_error, row

SERVICE = "dicom-scp"
SAMPLE_IMAGE = "CT_small.dcm"
DEFAULT_SCU_AE_TITLE = "MNSS-SCU"
DEFAULT_MODALITY_AE_TITLE = "MNSS-MODALITY"
DEFAULT_CALLED_AE_TITLE = "MNSS-PACS"


def sample_image_path() -> Path:
    """The bundled sample CT image; fails loudly if the pydicom install lacks it."""
    path = get_testdata_file(SAMPLE_IMAGE, download=False)
    if not path:
        raise FileNotFoundError(f"pydicom's bundled test file {SAMPLE_IMAGE} is missing; reinstall pydicom")
    return Path(path)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _pynetdicom_errors() -> Iterator[_Collect]:
    """pynetdicom only logs why an association failed (refused, timeout, rejection); keep those lines."""
    collect = _Collect()
    logger = logging.getLogger("pynetdicom")
    logger.addHandler(collect)
    try:
        yield collect
    finally:
        logger.removeHandler(collect)


def _failure(assoc: Association, collect: _Collect, started: float, timeout: float) -> str:
    """Why the association did not come up, from this association's own threads' log lines."""
    threads = {threading.get_ident(), assoc.ident, getattr(assoc.dul, "ident", None)}
    lines = [r.getMessage() for r in collect.records if r.thread in threads]
    for line in lines:
        if line.startswith("TCP Initialisation Error:"):
            return "TCP connect failed: " + _connect_error(line.split(":", 1)[1].strip(), timeout)
    if assoc.is_rejected:
        return (
            "association rejected by the SCP: "
            + "; ".join(line for line in lines if line.startswith(("Result:", "Reason:"))).strip()
        )
    if any("ACSE timeout" in line for line in lines):
        return f"no answer to the association request within {timeout:g} s"
    if lines:
        return "association failed: " + "; ".join(lines)
    return f"association failed after {(time.perf_counter() - started):.1f} s"


def _connect_error(logged: str, timeout: float) -> str:
    """pynetdicom logs the OSError as text; turn it back into the wording the other probes use."""
    found = re.match(r"\[Errno (-?\d+)\] (.*)", logged)
    if found:
        return describe_error(OSError(int(found.group(1)), found.group(2)), timeout)
    return f"timed out after {timeout:g} s" if "timed out" in logged else logged


def _associate(
    host: str, port: int, ae_title: str, called_ae: str, contexts: list[tuple[str, list[str]]], timeout: float
) -> tuple[Association | None, float, str]:
    """(established association or None, start time, failure detail)."""
    ae = AE(ae_title=ae_title)
    for abstract, syntaxes in contexts:
        ae.add_requested_context(abstract, syntaxes)
    ae.connection_timeout = ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = timeout
    with _pynetdicom_errors() as collect:
        started = time.perf_counter()
        try:
            assoc = ae.associate(host, port, ae_title=called_ae)
        except OSError as exc:  # pynetdicom resolves host names itself, before it connects
            return None, started, describe_error(exc, timeout)
        if assoc.is_established:
            return assoc, started, ""
        return None, started, _failure(assoc, collect, started, timeout)


def _result(status: Dataset, rtt: float) -> tuple[bool, float | None, str]:
    """(ok, rtt or None when nothing came back, text) for a DIMSE response status."""
    if "Status" not in status:
        return False, None, "no response (timed out or the association was aborted)"
    code = int(status.Status)
    return code == 0x0000, rtt, f"status 0x{code:04X}" + (" (success)" if code == 0 else "")


def dicom_echo(
    host: str,
    port: int,
    ae_title: str = DEFAULT_SCU_AE_TITLE,
    called_ae: str = DEFAULT_CALLED_AE_TITLE,
    timeout: float = 5.0,
) -> dict:
    """C-ECHO (Verification): is the PACS up and speaking DICOM to this AE title?"""
    check_target(host, port, timeout)
    assoc, started, failure = _associate(
        host, port, ae_title, called_ae, [(Verification, [ImplicitVRLittleEndian])], timeout
    )
    if assoc is None:
        return row(SERVICE, host, port, False, None, failure)
    try:
        status = assoc.send_c_echo()
        rtt = (time.perf_counter() - started) * 1000.0
    finally:
        _close(assoc)
    ok, rtt, text = _result(status, rtt)
    return row(SERVICE, host, port, ok, rtt, f"C-ECHO {text}")


def dicom_store(
    host: str,
    port: int,
    ae_title: str = DEFAULT_MODALITY_AE_TITLE,
    called_ae: str = DEFAULT_CALLED_AE_TITLE,
    image: str | Path | None = None,
    timeout: float = 5.0,
) -> dict:
    """C-STORE one image (default: the bundled sample CT); detail names its SOP Instance UID."""
    check_target(host, port, timeout)
    ds = dcmread(image if image is not None else sample_image_path())
    sop_class, uid = ds.SOPClassUID, ds.SOPInstanceUID
    syntaxes = list(dict.fromkeys([ds.file_meta.TransferSyntaxUID, ExplicitVRLittleEndian, ImplicitVRLittleEndian]))
    assoc, started, failure = _associate(host, port, ae_title, called_ae, [(sop_class, syntaxes)], timeout)
    if assoc is None:
        return row(SERVICE, host, port, False, None, failure)
    try:
        if not any(cx.abstract_syntax == sop_class for cx in assoc.accepted_contexts):
            return row(SERVICE, host, port, False, None, f"the SCP does not accept {sop_class.name} images")
        status = assoc.send_c_store(ds)
        rtt = (time.perf_counter() - started) * 1000.0
    finally:
        _close(assoc)
    ok, rtt, text = _result(status, rtt)
    return row(SERVICE, host, port, ok, rtt, f"C-STORE {sop_class.name} SOPInstanceUID={uid}: {text}")


def _close(assoc: Association) -> None:
    if assoc.is_established:
        assoc.release()
    if assoc.is_established:  # the release went unanswered
        assoc.abort()
