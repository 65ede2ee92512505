"""A rotation by one process (the CLI) while another (the hub) keeps its store open: the hub never
writes with the retired key, and a store opened with the wrong key file is refused at once."""

import pytest

from mnss_hub.people import Keyring, PeopleStore, PiiKeyError, ValidationFailed, invitations as inv, profiles
from mnss_hub.people.crypto import load_keyring, save_keyring
from mnss_hub.people.rotation import reencrypt_all

from .conftest import HOSPITAL, form, make_id


def open_store(tmp_path, directory, loader=True):
    key_file = tmp_path / "pii.key"
    return PeopleStore(
        f"sqlite:///{tmp_path / 'people.sqlite'}",
        load_keyring(key_file, environ={}),
        directory,
        key_loader=(lambda: load_keyring(key_file, environ={}, create=False)) if loader else None,
    )


def rotate_like_the_cli(tmp_path, directory):
    key_file = tmp_path / "pii.key"
    new = load_keyring(key_file, environ={}).with_new_key()
    save_keyring(key_file, new)
    cli = open_store(tmp_path, directory)
    reencrypt_all(cli, new)
    cli.close()
    save_keyring(key_file, new.only_current())
    return new


def test_hub_follows_a_rotation_made_elsewhere(tmp_path, test_directory, admin):
    hub = open_store(tmp_path, test_directory)
    first = profiles.register(hub, inv.create_invitation(hub, admin, inv.InvitationRequest(HOSPITAL)).code, form())
    code = inv.create_invitation(hub, admin, inv.InvitationRequest(HOSPITAL)).code
    new = rotate_like_the_cli(tmp_path, test_directory)
    # the hub still holds the old key in memory; it must neither write with it nor miss the duplicate ID
    with pytest.raises(ValidationFailed, match="already has an account"):
        profiles.register(hub, code, form(email="again@example.cn"))
    second = profiles.register(hub, code, form(id_number=make_id(seq="125"), email="li@example.cn"))
    assert hub.keyring.current == new.current
    hub.close()
    later = open_store(tmp_path, test_directory)  # only the new key exists now
    for name, number in ((first.username, make_id()), (second.username, make_id(seq="125"))):
        assert profiles.reveal(later, admin, name, "id_number", "check") == number
    later.close()


def test_without_a_key_loader_the_old_key_is_refused_for_writing(tmp_path, test_directory, admin):
    hub = open_store(tmp_path, test_directory, loader=False)
    rotate_like_the_cli(tmp_path, test_directory)
    with pytest.raises(PiiKeyError, match="rotated by another process"):
        inv.create_invitation(hub, admin, inv.InvitationRequest(HOSPITAL))
    hub.close()


def test_wrong_key_file_refused_when_opening(tmp_path, test_directory):
    open_store(tmp_path, test_directory).close()
    with pytest.raises(PiiKeyError, match="does not hold: use the key file"):
        PeopleStore(f"sqlite:///{tmp_path / 'people.sqlite'}", Keyring.generate(), test_directory)


def test_a_rotation_that_did_not_commit_leaves_writers_on_the_old_key(tmp_path, test_directory, admin):
    """The CLI saved old+new keys (new current), then re-encryption failed: data is still on the old key."""
    key_file = tmp_path / "pii.key"
    hub = open_store(tmp_path, test_directory)
    old = hub.keyring
    save_keyring(key_file, old.with_new_key())
    restarted = open_store(tmp_path, test_directory)
    code = inv.create_invitation(restarted, admin, inv.InvitationRequest(HOSPITAL)).code
    name = profiles.register(restarted, code, form()).username
    restarted.close()
    save_keyring(key_file, old)  # the operator puts the old file back
    again = open_store(tmp_path, test_directory)
    assert profiles.reveal(again, admin, name, "mobile", "check") == "+8613812345678"
    for s in (hub, again):
        s.close()
