"""Real-name profiles for tests, made through the people store's own invitation and registration."""

from __future__ import annotations

from mnss_hub import siteconfig
from mnss_hub.people import ADMIN, Actor, invitations, profiles, site as people_site


def register_profile(config: dict, username: str, name: str, email: str) -> None:
    """A registered profile of `username` under the real name `name`, at 示例医院 / 信息中心."""
    store = people_site.open_store(siteconfig.validate(config))
    try:
        code = invitations.create_invitation(store, Actor("admin", ADMIN), invitations.InvitationRequest("示例医院"))
        form = {
            "name": name,
            "gender": "male",
            "id_number": "110101199003071233",
            "institution": "示例医院",
            "department": "信息中心",
            "position": "staff",
            "title": "engineer",
            "mobile": "13812345678",
            "email": email,
            "wechat": "",
            "remarks": "",
            "consent": "on",
        }
        assert profiles.register(store, code.code, form, username=username).username == username
    finally:
        store.close()
