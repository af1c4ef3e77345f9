"""Password hashing (Argon2id, OWASP parameters) and the password policy (ASVS / NIST 800-63B)."""

from __future__ import annotations

import os
import threading
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from portal_common.problems import Problem

MIN_LENGTH = 12
MAX_LENGTH = 128
# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)
# Verified against when the login is unknown, so both answers cost the same time.
_DUMMY_HASH = HASHER.hash("not-a-real-password-only-for-timing")
# At most one hash per core at a time: each takes 19 MiB, so a burst of logins on every HTTP thread
# cannot multiply the memory, and hashes do not evict each other from the CPU caches.
_HASHING = threading.BoundedSemaphore(len(os.sched_getaffinity(0)))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """~30,000 most common leaked passwords, shipped by the zxcvbn package."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_policy(password: str, *, login: str, field: str) -> None:
    """Raise a 422 Problem when `password` may not be chosen, naming the body's `field` (a client shows the message
    next to it). No composition rules, on purpose."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise Problem(
            422,
            f"Le mot de passe doit contenir entre {MIN_LENGTH} et {MAX_LENGTH} caractères.",
            slug="password-length",
            title="Mot de passe refusé",
            fields=[field],
        )
    lowered = password.lower()
    if lowered == login.lower() or lowered.split("@")[0] == login.lower().split("@")[0]:
        raise Problem(
            422,
            "Le mot de passe ne peut pas être votre identifiant.",
            slug="password-is-login",
            title="Mot de passe refusé",
            fields=[field],
        )
    if lowered in common_passwords():
        raise Problem(
            422,
            "Ce mot de passe fait partie des mots de passe les plus répandus ou divulgués ; choisissez-en un autre.",
            slug="password-too-common",
            title="Mot de passe refusé",
            fields=[field],
        )


def hash_password(password: str) -> str:
    with _HASHING:
        return HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Constant work whether or not an account exists (`stored_hash` None verifies a dummy)."""
    try:
        with _HASHING:
            return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return HASHER.check_needs_rehash(stored_hash)
