"""How personal data is shown by default: enough to recognise it, never enough to use it.

ID 370102199003071234 -> 3701**********1234, mobile +8613812345678 -> 138****5678,
WeChat wxid_abc123 -> wx*******3.
"""

from __future__ import annotations

import phonenumbers


def mask_id_number(value: str) -> str:
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_mobile(value: str) -> str:
    """The national number with all but its first 3 and last 4 digits starred."""
    try:
        digits = str(phonenumbers.parse(value, "CN").national_number)
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_wechat(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 3:
        return value[0] + "*" * (len(value) - 1)
    return value[:2] + "*" * (len(value) - 3) + value[-1]
