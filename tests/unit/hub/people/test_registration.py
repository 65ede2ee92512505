"""The registration form: every wrong field is named, in Chinese and in English."""

import pytest

from mnss_hub.people import ValidationFailed, registration

from .conftest import HOSPITAL, form, make_id


def codes(data, directory):
    with pytest.raises(ValidationFailed) as err:
        registration.validate(data, directory)
    return [(e.field, e.code) for e in err.value.errors]


def test_valid_form_is_normalised(test_directory):
    reg = registration.validate(
        form(
            id_number=make_id(seq="124")[:-1].lower() + make_id(seq="124")[-1].lower(),
            gender="female",
            email="Zhang.San@EXAMPLE.CN",
            mobile="138 1234 5678",
        ),
        test_directory,
    )
    assert reg.id_number == make_id(seq="124")
    assert reg.mobile == "+8613812345678"
    assert reg.email == "Zhang.San@example.cn"
    assert reg.institution == HOSPITAL


def test_x_check_digit_accepted(test_directory):
    number = next(n for s in range(100, 200) if (n := make_id(seq=str(s))).endswith("X"))
    gender = "male" if int(number[16]) % 2 else "female"
    assert registration.validate(form(id_number=number.lower(), gender=gender), test_directory).id_number == number


@pytest.mark.parametrize(
    "number, code",
    [
        (
            make_id()[:-1] + str((int(make_id()[-1]) + 1) % 10) if make_id()[-1] != "X" else make_id()[:-1] + "0",
            "id_checksum",
        ),
        (make_id(born="19900230"), "id_birth_date"),
        (make_id(born="21000101"), "id_birth_date"),
        (make_id(region="990000"), "id_region"),
        (make_id()[:17], "id_length"),
        ("11010119900307A234", "id_format"),
    ],
)
def test_bad_id_numbers(test_directory, number, code):
    assert codes(form(id_number=number), test_directory) == [("id_number", code)]


def test_gender_must_match_the_id(test_directory):
    assert codes(form(gender="female"), test_directory) == [("gender", "gender_mismatch")]
    assert codes(form(gender="x"), test_directory) == [("gender", "bad_choice")]


@pytest.mark.parametrize(
    "mobile, code",
    [
        ("12345", "mobile_invalid"),
        ("1381234567", "mobile_invalid"),
        ("01062345678", "mobile_not_mobile"),
        ("not a number", "mobile_invalid"),
    ],
)
def test_bad_mobiles(test_directory, mobile, code):
    assert codes(form(mobile=mobile), test_directory) == [("mobile", code)]


def test_foreign_mobile_with_prefix(test_directory):
    assert registration.validate(form(mobile="+44 7911 123456"), test_directory).mobile == "+447911123456"


@pytest.mark.parametrize(
    "email",
    [
        "a@b",
        "a.@example.cn",
        "a..b@example.cn",
        "@example.cn",
        "a@-x.cn",
        "a b@example.cn",
        "a@example.123",
        "a@exa_mple.cn",
        "x" * 65 + "@example.cn",
    ],
)
def test_bad_emails(test_directory, email):
    assert codes(form(email=email), test_directory) == [("email", "email_invalid")]


def test_internationalised_email_domain(test_directory):
    assert registration.validate(form(email="li@医院.中国"), test_directory).email == "li@医院.中国"


def test_institution_and_department_come_from_the_tree(test_directory):
    assert codes(form(institution="某医院"), test_directory) == [("institution", "unknown_institution")]
    assert codes(form(department="信息科"), test_directory) == [("department", "unknown_department")]
    assert codes(form(position="boss", title="guru"), test_directory) == [
        ("position", "bad_choice"),
        ("title", "bad_choice"),
    ]


def test_optional_fields_and_consent(test_directory):
    reg = registration.validate(form(wechat="", remarks=None), test_directory)
    assert (reg.wechat, reg.remarks) == ("", "")
    assert codes(form(consent=""), test_directory) == [("consent", "consent_missing")]
    assert codes(form(wechat="a b"), test_directory) == [("wechat", "wechat_invalid")]
    assert registration.validate(form(remarks="line one\r\nline two"), test_directory).remarks == "line one\nline two"
    assert codes(form(remarks="nul\x00", name="张\u200b三"), test_directory) == [
        ("name", "bad_characters"),
        ("remarks", "bad_characters"),
    ]


def test_every_error_at_once_in_form_order_and_both_languages(test_directory):
    data = form(name="", id_number=make_id(born="19900230"), mobile="12345", email="bad", consent=None)
    with pytest.raises(ValidationFailed) as err:
        registration.validate(data, test_directory)
    assert [e.field for e in err.value.errors] == ["name", "id_number", "mobile", "email", "consent"]
    assert err.value.messages("zh-CN")[:2] == ["姓名不能为空", "身份证号码中的出生日期无效"]
    assert err.value.messages("en")[1] == "ID number: contains an impossible birth date"
    assert err.value.by_field("en")["mobile"] == ["Mobile: is not a valid number"]


def test_check_digit_message_names_the_field(test_directory):
    number = make_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as err:
        registration.validate(form(id_number=wrong), test_directory)
    assert err.value.messages("zh-CN") == ["身份证号码校验位错误"]
    assert err.value.messages("en") == ["ID number: check digit is wrong"]
