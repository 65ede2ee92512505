"""Encryption at rest: round trip, wrong key refused, rotation, key file mode; masking."""

import json
import os
import stat

import pytest

from mnss_hub.people import masking
from mnss_hub.people.crypto import ENV_VAR, Keyring, PiiKeyError, load_keyring, save_keyring


def test_round_trip_and_ciphertext_carries_its_key_id():
    ring = Keyring.generate()
    token = ring.encrypt("110101199003071233", "id_number")
    assert "110101199003071233" not in token and token.startswith(f"v1:{ring.current}:")
    assert ring.decrypt(token, "id_number") == "110101199003071233"
    assert ring.encrypt("x", "id_number") != ring.encrypt("x", "id_number")  # random nonce


def test_wrong_key_and_wrong_column_refused():
    ring, other = Keyring.generate(), Keyring.generate()
    token = ring.encrypt("13812345678", "mobile")
    with pytest.raises(PiiKeyError, match="which this key file does not hold"):
        other.decrypt(token, "mobile")
    forged = Keyring({ring.current: other.keys[other.current]}, ring.current, other.audit_key)
    with pytest.raises(PiiKeyError, match="wrong key or altered data"):
        forged.decrypt(token, "mobile")
    with pytest.raises(PiiKeyError, match="wrong key or altered data"):
        ring.decrypt(token, "id_number")  # moved to another column


def test_rotation_keeps_old_ciphertexts_readable_until_reencrypted():
    old = Keyring.generate()
    token = old.encrypt("secret", "mobile")
    new = old.with_new_key()
    assert new.current != old.current and new.audit_key == old.audit_key
    assert new.decrypt(token, "mobile") == "secret"
    again = new.encrypt(new.decrypt(token, "mobile"), "mobile")
    assert new.only_current().decrypt(again, "mobile") == "secret"
    with pytest.raises(PiiKeyError):
        new.only_current().decrypt(token, "mobile")
    assert new.lookup_hash("x", "id_number") != old.lookup_hash("x", "id_number")


def test_key_file_created_private_and_reloaded(tmp_path):
    path = tmp_path / "state" / "pii.key"
    ring = load_keyring(path, environ={})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring(path, environ={}) == ring
    save_keyring(path, ring.with_new_key())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["pii.key"]  # no temporary left beside it


def test_loose_key_file_mode_refused(tmp_path):
    path = tmp_path / "pii.key"
    load_keyring(path, environ={})
    os.chmod(path, 0o640)
    with pytest.raises(PiiKeyError, match=r"mode 0640: others could read .*chmod 600"):
        load_keyring(path, environ={})


def test_key_from_environment_wins_and_bad_one_is_named(tmp_path):
    ring = Keyring.generate()
    assert load_keyring(tmp_path / "none", environ={ENV_VAR: ring.to_json()}) == ring
    assert not (tmp_path / "none").exists()
    with pytest.raises(PiiKeyError, match=r"\$MNSS_PII_KEY: not a valid key file"):
        load_keyring(tmp_path / "none", environ={ENV_VAR: "{}"})
    short = json.loads(ring.to_json())
    short["keys"][ring.current] = "AAAA"
    with pytest.raises(PiiKeyError, match="32 bytes"):
        load_keyring(tmp_path / "none", environ={ENV_VAR: json.dumps(short)})


def test_no_key_file_and_no_create(tmp_path):
    with pytest.raises(PiiKeyError, match="does not exist"):
        load_keyring(tmp_path / "pii.key", environ={}, create=False)


@pytest.mark.parametrize(
    "fn, value, masked",
    [
        (masking.mask_id_number, "370102199003071234", "3701**********1234"),
        (masking.mask_id_number, "1234", "****"),
        (masking.mask_mobile, "+8613812345678", "138****5678"),
        (masking.mask_mobile, "13812345678", "138****5678"),
        (masking.mask_wechat, "wxid_abc123", "wx********3"),
        (masking.mask_wechat, "ab", "a*"),
        (masking.mask_wechat, "", ""),
    ],
)
def test_masking(fn, value, masked):
    assert fn(value) == masked
