"""Bilingual (zh-CN / en) texts for every refusal the people layer gives, each naming its field.

One catalog so a page, the CLI and a test all show the same words; `LANGS` are the hub's languages.
"""

from __future__ import annotations

LANGS = ("zh-CN", "en")

FIELDS: dict[str, tuple[str, str]] = {
    "name": ("姓名", "Name"),
    "gender": ("性别", "Gender"),
    "id_number": ("身份证号码", "ID number"),
    "institution": ("机构", "Institution"),
    "department": ("科室", "Department"),
    "position": ("职务", "Position"),
    "title": ("职称", "Professional title"),
    "mobile": ("手机号码", "Mobile"),
    "email": ("电子邮箱", "Email"),
    "wechat": ("微信号", "WeChat"),
    "remarks": ("备注", "Remarks"),
    "consent": ("同意书", "Consent"),
    "username": ("用户名", "Username"),
    "courses": ("课程", "Courses"),
    "expires_days": ("有效天数", "Days valid"),
    "code": ("邀请码", "Invitation code"),
    "reason": ("理由", "Reason"),
    "file": ("文件", "File"),
    "profile": ("账号", "Account"),
    "invitation": ("邀请", "Invitation"),
}

# code -> (zh-CN text appended to the field label, en text after "Label: ")
TEXTS: dict[str, tuple[str, str]] = {
    "required": ("不能为空", "is required"),
    "too_long": ("过长", "is too long"),
    "bad_choice": ("不是可选的值", "is not one of the choices"),
    "id_length": ("应为 18 位", "must have 18 characters"),
    "id_format": ("前 17 位应为数字，最后一位为数字或 X", "must be 17 digits followed by a digit or X"),
    "id_checksum": ("校验位错误", "check digit is wrong"),
    "id_birth_date": ("中的出生日期无效", "contains an impossible birth date"),
    "id_region": ("中的地区代码无效", "contains an unknown region code"),
    "gender_mismatch": ("与身份证号码不符", "does not match the ID number"),
    "mobile_invalid": ("不是有效的号码", "is not a valid number"),
    "mobile_not_mobile": ("不是手机号码", "is not a mobile number"),
    "email_invalid": ("格式不正确", "is not a valid address"),
    "unknown_institution": ("不在机构列表中", "is not in the list of institutions"),
    "unknown_department": ("不是该机构的科室", "is not a department of this institution"),
    "consent_missing": ("须勾选同意后才能注册", "must be given to register"),
    "username_taken": ("已被使用", "is already taken"),
    "id_registered": ("已注册过账号", "already has an account"),
    "out_of_range": ("超出允许范围", "is out of range"),
    "unknown_column": ("是未知的列", "is not a known column"),
    "duplicate_column": ("列重复", "column appears twice"),
    "not_own_institution": ("不是您所管理的机构", "is not the institution you administer"),
    "wechat_invalid": ("应为 6 至 20 位字母、数字、下划线或减号", "must be 6 to 20 letters, digits, '_' or '-'"),
    "bad_characters": ("含有不允许的字符", "contains characters that are not allowed"),
    "not_invited_institution": ("与邀请中的机构不同", "differs from the institution of the invitation"),
    "too_many_rows": ("超过 20000 行，请分批导入", "has more than 20,000 rows; import it in parts"),
    "empty_sheet": ("中没有数据行", "has no data rows"),
    "bad_file_type": ("类型应为 .xlsx 或 .csv", "must be .xlsx or .csv"),
    "unreadable": ("无法读取", "cannot be read"),
}


def label(field: str, lang: str) -> str:
    zh, en = FIELDS.get(field, (field, field))
    return en if lang == "en" else zh


def field_message(field: str, code: str, lang: str) -> str:
    """One sentence naming the field: "身份证号码校验位错误" / "ID number: check digit is wrong"."""
    zh, en = TEXTS[code]
    return f"{label(field, 'en')}: {en}" if lang == "en" else f"{label(field, 'zh-CN')}{zh}"


def column_name(index: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
