"""security.passwords: argon2id hashes, verify's (ok, needs_rehash), a dummy hash for missing ones."""

import time

from argon2 import PasswordHasher, Type

from iamd.security import passwords


def test_hash_is_argon2id_with_the_declared_parameters():
    encoded = passwords.hash_password("Correct-Horse-9")
    assert encoded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "Correct-Horse-9" not in encoded


def test_each_hash_has_its_own_salt():
    assert passwords.hash_password("same") != passwords.hash_password("same")


def test_verify_right_and_wrong_password():
    encoded = passwords.hash_password("s3cret!")
    assert passwords.verify("s3cret!", encoded) == (True, False)
    assert passwords.verify("s3cret?", encoded) == (False, False)
    assert passwords.verify("", encoded) == (False, False)


def test_verify_asks_for_a_rehash_of_weaker_hashes():
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash("pw")
    assert passwords.verify("pw", weak) == (True, True)
    argon2i = PasswordHasher(type=Type.I).hash("pw")
    assert passwords.verify("pw", argon2i) == (True, True)
    assert passwords.needs_rehash(passwords.hash_password("pw")) is False


def test_missing_or_foreign_hash_never_matches():
    assert passwords.verify("anything", None) == (False, False)
    assert passwords.verify("anything", "pbkdf2_sha256$1$salt$hash") == (False, False)
    assert passwords.verify("anything", "$argon2id$garbage") == (False, False)


def test_missing_hash_costs_about_as_much_as_a_real_one():
    encoded = passwords.hash_password("pw")
    passwords.verify("warm", None)  # the dummy hash is made once, on first use

    def cost(value):
        start = time.perf_counter()
        for _ in range(3):
            passwords.verify("wrong", value)
        return time.perf_counter() - start

    real, missing = cost(encoded), cost(None)
    assert missing > real / 3
