"""HL7 v2 messages for the lab: a synthetic ADT^A01 to send, and the ACK a receiver answers with.

All patient data here is invented and says so (TEST/SYNTHETIC names, MNSS-TEST ids); messages
carry processing id 'T' (training). Built and parsed with hl7apy, so learners see real ER7.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from hl7apy.core import Message
from hl7apy.parser import parse_message

DEFAULT_VERSION = "2.5"
_UNSAFE = str.maketrans({c: " " for c in "|^~\\&#\r\n"})  # separators must not leak into free text


@dataclass(frozen=True)
class Ack:
    """What a receiver answered: MSA-1 code (AA/AE/AR, or CA/CE/CR), MSA-2 control id, MSA-3 text."""

    code: str | None
    control_id: str
    text: str

    @property
    def accepted(self) -> bool:
        return self.code in ("AA", "CA")


def new_control_id() -> str:
    """A unique MSH-10 (at most 20 characters, the HL7 v2.5 limit)."""
    return "MNSS" + uuid.uuid4().hex[:16].upper()


def normalise(text: str) -> str:
    """HL7 separates segments with CR; accept LF or CRLF from hand-typed messages too."""
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")


def build_adt_a01(
    control_id: str | None = None,
    sending_app: str = "MNSS-HIS",
    receiving_app: str = "MNSS-LIS",
    now: datetime | None = None,
) -> str:
    """An admission (ADT^A01) of an obviously fake patient, as ER7 text with CR separators."""
    stamp = (now or datetime.now()).strftime("%Y%m%d%H%M%S")
    msg = Message("ADT_A01", version=DEFAULT_VERSION)
    msg.msh.msh_3 = sending_app
    msg.msh.msh_4 = "MNSS-LAB"
    msg.msh.msh_5 = receiving_app
    msg.msh.msh_6 = "MNSS-LAB"
    msg.msh.msh_7 = stamp
    msg.msh.msh_9 = "ADT^A01^ADT_A01"
    msg.msh.msh_10 = control_id or new_control_id()
    msg.msh.msh_11 = "T"
    msg.evn.evn_1 = "A01"
    msg.evn.evn_2 = stamp
    msg.pid.pid_1 = "1"
    msg.pid.pid_3 = "MNSS-TEST-000001^^^MNSS-LAB^MR"
    msg.pid.pid_5 = "TESTPATIENT^SYNTHETIC^^^^^L"
    msg.pid.pid_7 = "19700101"
    msg.pid.pid_8 = "U"
    msg.pid.pid_11 = "1 TEST STREET^^TESTCITY^^000000^XX"
    msg.pv1.pv1_1 = "1"
    msg.pv1.pv1_2 = "I"
    msg.pv1.pv1_3 = "WARD-T^101^1^MNSS-LAB"
    msg.pv1.pv1_7 = "TEST0001^TESTDOCTOR^SYNTHETIC"
    return msg.to_er7()


def msh_fields(text: str) -> list[str]:
    """MSH split on its field separator, indexed so that result[n] is MSH-n; [] if no MSH."""
    for segment in normalise(text).split("\r"):
        if segment.startswith("MSH") and len(segment) > 3:
            return ["MSH", segment[3], *segment[4:].split(segment[3])]
    return []


def _msh(fields: list[str], n: int) -> str:
    return fields[n] if len(fields) > n else ""


def control_id(text: str) -> str:
    """MSH-10 read without a full parse, so even a broken message's ACK can name it."""
    return _msh(msh_fields(text), 10).strip()


def build_ack(text: str) -> str:
    """The reply a receiver sends: AA if hl7apy parses the message, else AE saying why."""
    text = normalise(text)
    fields = msh_fields(text)
    if not text:
        return _ack("AE", "", "empty message", fields)
    try:
        parsed = parse_message(text, find_groups=False)
    except Exception as exc:  # hl7apy raises many types; every one of them means "cannot parse"
        return _ack("AE", control_id(text), f"cannot parse HL7 message: {type(exc).__name__}: {exc}", fields)
    ctrl = parsed.msh.msh_10.to_er7().strip()
    if not ctrl:
        return _ack("AE", "", "MSH-10 (message control id) is empty", fields)
    return _ack("AA", ctrl, "", fields, version=parsed.version)


def _ack(code: str, ctrl: str, reason: str, original: list[str], version: str = DEFAULT_VERSION) -> str:
    """ACK with sender and receiver swapped and the original trigger event echoed."""
    ack = Message("ACK", version=version)
    comp_sep = _msh(original, 2)[:1] or "^"
    trigger = (_msh(original, 9).split(comp_sep) + ["", ""])[1]
    for mine, theirs in ((3, 5), (4, 6), (5, 3), (6, 4)):
        value = _msh(original, theirs).translate(_UNSAFE).strip()
        if value:
            setattr(ack.msh, f"msh_{mine}", value)
    trigger = trigger.translate(_UNSAFE).strip()
    structure = "" if version in ("2.1", "2.2", "2.3") else "^ACK"  # MSH-9.3 exists from v2.3.1 on
    ack.msh.msh_9 = f"ACK^{trigger}{structure}" if trigger else "ACK"
    ack.msh.msh_10 = new_control_id()
    ack.msh.msh_11 = _msh(original, 11).translate(_UNSAFE).strip()[:1] or "P"
    ack.msa.msa_1 = code
    if ctrl:
        ack.msa.msa_2 = ctrl.translate(_UNSAFE).strip()[:20]
    if reason:
        ack.msa.msa_3 = reason.translate(_UNSAFE).strip()[:200]
    return ack.to_er7()


def read_ack(text: str) -> Ack:
    """The MSA of a reply, read without hl7apy so any receiver's ACK (or junk) can be judged."""
    fields = msh_fields(text)
    sep = _msh(fields, 1) or "|"
    for segment in normalise(text).split("\r"):
        if segment[:4] == f"MSA{sep}":
            msa = segment.split(sep) + ["", "", ""]
            return Ack(msa[1].strip() or None, msa[2].strip(), msa[3].strip())
    return Ack(None, "", "")
