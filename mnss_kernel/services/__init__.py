"""Real application traffic for the hospital kinds of the catalog (PACS, HIS/LIS, EMR/web, database).

Servers run as `python -m mnss_kernel.services serve KIND ...` inside a node's namespace; probes
are plain functions (and `... probe KIND HOST PORT`) that return one row shaped like a ping result:
{"service", "server", "port", "ok", "rtt_ms", "detail"}.
"""

from .connect import tcp_connect
from .dicom_scu import dicom_echo, dicom_store, sample_image_path
from .echo import tcp_echo
from .hl7 import hl7_send
from .registry import PROBES, SERVICES, ServiceSpec, probe
from .rows import ROW_KEYS
from .tcp import RunningServer
from .web import http_get

__all__ = [
    "PROBES",
    "ROW_KEYS",
    "SERVICES",
    "RunningServer",
    "ServiceSpec",
    "dicom_echo",
    "dicom_store",
    "hl7_send",
    "http_get",
    "probe",
    "sample_image_path",
    "tcp_connect",
    "tcp_echo",
]
