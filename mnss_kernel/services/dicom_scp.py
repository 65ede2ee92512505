"""The PACS: a DICOM Storage SCP that answers C-ECHO and files every image it receives.

Images land in the storage directory as <SOPInstanceUID>.dcm, written whole or not at all, so a
checker never sees half a file.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, evt
from pynetdicom.sop_class import (
    ComputedRadiographyImageStorage,
    CTImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    MRImageStorage,
    UltrasoundImageStorage,
    UltrasoundMultiFrameImageStorage,
    Verification,
)

from .tcp import RunningServer

log = logging.getLogger(__name__)
SERVICE = "dicom-scp"
DEFAULT_PORT = 11112
DEFAULT_AE_TITLE = "MNSS-PACS"
STORAGE_CLASSES = (
    CTImageStorage,
    MRImageStorage,
    ComputedRadiographyImageStorage,
    DigitalXRayImageStorageForPresentation,
    DigitalXRayImageStorageForProcessing,
    UltrasoundImageStorage,
    UltrasoundMultiFrameImageStorage,
)
_UID = re.compile(r"[0-9]+(\.[0-9]+)*")  # also keeps a hostile UID from naming a path

STATUS_SUCCESS = 0x0000
STATUS_OUT_OF_RESOURCES = 0xA700
STATUS_CANNOT_UNDERSTAND = 0xC000


def stored_path(storage: str | Path, sop_instance_uid: str) -> Path:
    return Path(storage) / f"{sop_instance_uid}.dcm"


def _on_c_store(event: evt.Event, storage: Path) -> int:
    uid = str(event.request.AffectedSOPInstanceUID or "")
    if not _UID.fullmatch(uid) or len(uid) > 64:
        log.warning("refusing C-STORE with invalid SOP Instance UID %r", uid)
        return STATUS_CANNOT_UNDERSTAND
    target = stored_path(storage, uid)
    try:
        with tempfile.NamedTemporaryFile(dir=storage, prefix=".incoming-", delete=False) as part:
            part.write(event.encoded_dataset())
        os.replace(part.name, target)
    except OSError as exc:
        log.error("cannot store %s: %s", target, exc)
        return STATUS_OUT_OF_RESOURCES
    return STATUS_SUCCESS


def start_pacs(
    host: str = "0.0.0.0", port: int = DEFAULT_PORT, storage: str | Path | None = None, ae_title: str = DEFAULT_AE_TITLE
) -> RunningServer:
    """Listen for associations (any called AE title); C-ECHO is answered by pynetdicom itself."""
    storage = Path(storage) if storage else Path(tempfile.mkdtemp(prefix="mnss-pacs-"))
    storage.mkdir(parents=True, exist_ok=True)
    ae = AE(ae_title=ae_title)
    ae.add_supported_context(Verification)
    for sop_class in STORAGE_CLASSES:
        ae.add_supported_context(sop_class, ALL_TRANSFER_SYNTAXES)
    address = (host, port, 0, 0) if ":" in host else (host, port)  # pynetdicom picks IPv6 by tuple length
    server = ae.start_server(address, block=False, evt_handlers=[(evt.EVT_C_STORE, _on_c_store, [storage])])
    return RunningServer(
        port=server.server_address[1], stop=server.shutdown, info={"storage": str(storage), "ae_title": ae_title}
    )
