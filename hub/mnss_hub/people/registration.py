"""The registration form: its fields, and validation that names every wrong field (zh-CN / en).

Pure: no I/O. `validate(form, directory)` returns a normalised `Registration` or raises
`ValidationFailed` listing every (field, code), in form order, so a page can mark all of them at
once. The ID number is checked with python-stdnum's `cn.ric` (length, check digit, birth date,
region) and against the chosen gender (17th digit odd = male); the mobile with phonenumbers
(region CN unless the number has a +country prefix); the email syntax with the idna codec for
the domain (email-validator is not installed here).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import idna
import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from .directory import Directory
from .errors import FieldError, ValidationFailed

FIELDS = (
    "name",
    "gender",
    "id_number",
    "institution",
    "department",
    "position",
    "title",
    "mobile",
    "email",
    "wechat",
    "remarks",
    "consent",
)
OPTIONAL = frozenset({"wechat", "remarks"})
GENDERS = ("male", "female")
MAX_LENGTH = {"name": 50, "remarks": 500, "email": 254}
WECHAT = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
TRUE = {"1", "true", "on", "yes"}


@dataclass(frozen=True)
class Registration:
    """A validated form. `mobile` is E.164 (+8613812345678); `id_number` upper-case, 18 chars."""

    name: str
    gender: str
    id_number: str
    institution: str
    department: str
    position: str
    title: str
    mobile: str
    email: str
    wechat: str
    remarks: str


def _text(value) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    return text.replace("\r\n", "\n")


def check_id_number(value: str) -> tuple[str, str | None]:
    """The compact ID number and None, or what is wrong with it (an error code)."""
    number = ric.compact(value)
    if len(number) != 18:
        return number, "id_length"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return number, "id_format"
    if number[17] != ric.calc_check_digit(number):
        return number, "id_checksum"
    try:
        born = ric.get_birth_date(number)
    except InvalidComponent:
        return number, "id_birth_date"
    if born.year < 1900 or born > datetime.date.today():
        return number, "id_birth_date"
    try:
        ric.get_birth_place(number)
    except InvalidComponent:
        return number, "id_region"
    return number, None


def gender_of(id_number: str) -> str:
    """The gender an 18-digit ID number encodes: its 17th digit is odd for men."""
    return "male" if int(id_number[16]) % 2 else "female"


def check_mobile(value: str, region: str = "CN") -> tuple[str, str | None]:
    """E.164 form of a mobile number and None, or the error code."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return value, "mobile_invalid"
    if not phonenumbers.is_valid_number(parsed):
        return value, "mobile_invalid"
    kind = phonenumbers.number_type(parsed)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return value, "mobile_not_mobile"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), None


def check_email(value: str) -> tuple[str, str | None]:
    """The address with its domain lower-cased (IDNA-checked) and None, or "email_invalid".

    Accepts the common form local@domain.tld: a dot-atom local part (RFC 5322 atext, at most 64
    characters), a domain of at least two labels; quoted local parts and IP literals are refused.
    """
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(value) > 254 or len(local) > 64:
        return value, "email_invalid"
    if not all(ATEXT.match(part) for part in local.split(".")):
        return value, "email_invalid"
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return value, "email_invalid"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(DNS_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return value, "email_invalid"
    return f"{local}@{domain.lower()}", None


def _has_control(text: str, allowed: str = "") -> bool:
    return any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in text)


def validate(form: Mapping, directory: Directory, mobile_region: str = "CN") -> Registration:
    """Check every field of a submitted form; raise ValidationFailed naming each wrong one."""
    values = {name: _text(form.get(name)) for name in FIELDS if name != "consent"}
    errors: list[FieldError] = []

    def fail(field: str, code: str) -> None:
        errors.append(FieldError(field, code))

    for name, value in values.items():
        if not value and name not in OPTIONAL:
            fail(name, "required")
        elif len(value) > MAX_LENGTH.get(name, 100):
            fail(name, "too_long")
        elif _has_control(value, "\n\t" if name == "remarks" else ""):  # NUL is refused by PostgreSQL too
            fail(name, "bad_characters")
    bad = {e.field for e in errors}

    if "gender" not in bad and values["gender"] not in GENDERS:
        fail("gender", "bad_choice")
    if "id_number" not in bad:
        values["id_number"], code = check_id_number(values["id_number"])
        if code:
            fail("id_number", code)
        elif values["gender"] in GENDERS and gender_of(values["id_number"]) != values["gender"]:
            fail("gender", "gender_mismatch")
    if "institution" not in bad and values["institution"] not in directory.institutions:
        fail("institution", "unknown_institution")
    elif (
        "department" not in bad
        and "institution" not in bad
        and not directory.has_department(values["institution"], values["department"])
    ):
        fail("department", "unknown_department")
    for name, choices in (("position", directory.positions), ("title", directory.titles)):
        if name not in bad and values[name] not in choices:
            fail(name, "bad_choice")
    if "mobile" not in bad:
        values["mobile"], code = check_mobile(values["mobile"], mobile_region)
        if code:
            fail("mobile", code)
    if "email" not in bad:
        values["email"], code = check_email(values["email"])
        if code:
            fail("email", code)
    if values["wechat"] and "wechat" not in bad and not WECHAT.match(values["wechat"]):
        fail("wechat", "wechat_invalid")
    consent = form.get("consent")
    if not (consent is True or _text(consent).lower() in TRUE):
        fail("consent", "consent_missing")

    if errors:
        order = {name: n for n, name in enumerate(FIELDS)}
        raise ValidationFailed(sorted(errors, key=lambda e: order[e.field]))
    return Registration(**values)
