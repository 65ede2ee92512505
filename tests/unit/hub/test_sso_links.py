"""SSO identity links: one account per (issuer, sub), one sub per account and issuer, names normalised."""

import os
import stat

import pytest

from mnss_hub import cli
from mnss_hub.accounts import AccountStore
from mnss_hub.sso_links import LinkError, LinkStore, normalise_username
from tests.support.hubproc import accounts_url

ISS = "https://idp.hospital.example"


def test_usernames_are_normalised_to_one_spelling():
    assert normalise_username("Ｌｉ.Wei") == "li.wei"  # full-width letters (NFKC), capitals (casefold)
    assert normalise_username("STRASSE") == normalise_username("straße") == "strasse"


@pytest.mark.parametrize("bad", ["李伟", "li wei", "", "-li", "a" * 33])
def test_names_outside_the_account_rules_are_refused(bad):
    with pytest.raises(LinkError, match="not allowed"):
        normalise_username(bad)


def test_link_and_look_up(tmp_path):
    links = LinkStore(accounts_url(tmp_path))
    links.link(ISS, "sub-1", "Li.Wei", how="admin")
    assert links.username_for(ISS, "sub-1") == "li.wei"
    assert links.username_for("https://other.example", "sub-1") is None, "a sub means nothing at another issuer"
    assert links.subject_of(ISS, "li.wei") == "sub-1"
    assert stat.S_IMODE(os.stat(tmp_path / "people.sqlite").st_mode) == 0o600


def test_an_identity_or_an_account_is_linked_once(tmp_path):
    links = LinkStore(accounts_url(tmp_path))
    links.link(ISS, "sub-1", "li.wei", how="admin")
    with pytest.raises(LinkError, match="already linked to account 'li.wei'"):
        links.link(ISS, "sub-1", "wang.fang", how="admin")
    with pytest.raises(LinkError, match="'li.wei' is already linked to subject 'sub-1'"):
        links.link(ISS, "sub-2", "LI.WEI", how="admin")  # the same name in another spelling
    assert [(lk.subject, lk.username) for lk in links.all()] == [("sub-1", "li.wei")]


def test_unlink(tmp_path):
    links = LinkStore(accounts_url(tmp_path))
    links.link(ISS, "sub-1", "li.wei", how="admin")
    links.unlink(ISS, "sub-1")
    assert links.username_for(ISS, "sub-1") is None
    with pytest.raises(LinkError, match="no link"):
        links.unlink(ISS, "sub-1")


def test_cli_links_only_existing_accounts(tmp_path, capsys):
    config = tmp_path / "mnss.yaml"
    state = tmp_path / "state"
    config.write_text(
        f"hub: {{state_dir: {state}}}\nauth: {{type: oidc, oidc: {{issuer: '{ISS}', client_id: hub}}}}\n"
        "courses: {enabled: false}\nrecommender: {enabled: false}\n"
    )
    assert cli.main(["--config", str(config), "sso", "link", "li.wei", "--sub", "sub-1"]) == 2
    assert "no account 'li.wei'" in capsys.readouterr().err
    AccountStore(accounts_url(state)).create("li.wei", "a-long-password")
    assert cli.main(["--config", str(config), "sso", "link", "Li.Wei", "--sub", "sub-1"]) == 0
    assert LinkStore(accounts_url(state)).username_for(ISS, "sub-1") == "li.wei"
    assert cli.main(["--config", str(config), "sso", "list"]) == 0
    assert f"li.wei\t{ISS}\tsub-1\tadmin" in capsys.readouterr().out
    assert cli.main(["--config", str(config), "sso", "unlink", "--sub", "sub-1"]) == 0
    assert LinkStore(accounts_url(state)).all() == []
