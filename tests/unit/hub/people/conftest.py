"""Shared fixtures: a store on a SQLite file in tmp_path, a movable clock, valid ID numbers."""

from datetime import UTC, datetime, timedelta

import pytest
from stdnum.cn import ric

from mnss_hub.people import ADMIN, Actor, PeopleStore, directory
from mnss_hub.people.crypto import load_keyring

HOSPITAL = "示例医院"


def make_id(region: str = "110101", born: str = "19900307", seq: str = "123") -> str:
    """An ID number with the right check digit (seq odd = male)."""
    body = region + born + seq
    return body + ric.calc_check_digit(body + "0")


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def test_directory():
    return directory.from_data(
        {
            "institutions": [
                {
                    "name": HOSPITAL,
                    "name_en": "Example Hospital",
                    "departments": [{"name": "信息中心"}, {"name": "放射科", "name_en": "Radiology"}],
                },
                {"name": "第二医院", "departments": [{"name": "信息科"}]},
            ],
            "positions": [{"id": "staff", "zh-CN": "职员", "en": "Staff"}],
            "titles": [
                {"id": "engineer", "zh-CN": "工程师", "en": "Engineer"},
                {"id": "attending_physician", "zh-CN": "主治医师", "en": "Attending physician"},
            ],
        }
    )


@pytest.fixture
def store(tmp_path, clock, test_directory):
    ring = load_keyring(tmp_path / "pii.key", environ={})
    s = PeopleStore(f"sqlite:///{tmp_path / 'people.sqlite'}", ring, test_directory, clock=clock)
    yield s
    s.close()


@pytest.fixture
def admin():
    return Actor("admin", ADMIN)


def form(**changes) -> dict:
    base = {
        "name": "张三",
        "gender": "male",
        "id_number": make_id(),
        "institution": HOSPITAL,
        "department": "信息中心",
        "position": "staff",
        "title": "engineer",
        "mobile": "13812345678",
        "email": "zhang.san@example.cn",
        "wechat": "zhangsan_wx",
        "remarks": "",
        "consent": "on",
    }
    base.update(changes)
    return base
