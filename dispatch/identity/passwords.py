"""Password hashing with scrypt; the parameters are stored with each hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
SALT_BYTES = 16
KEY_BYTES = 32
BLOCK_SIZE_R = 8
PARALLEL_P = 1
MIN_PASSWORD_LEN = 4
MAX_PASSWORD_LEN = 256


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=256 * 1024**2
    )


def hash_password(password: str, *, n: int) -> str:
    """``scrypt$n$r$p$salt$key`` with a random salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(password, salt, n, BLOCK_SIZE_R, PARALLEL_P)
    return f"{SCHEME}${n}${BLOCK_SIZE_R}${PARALLEL_P}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash."""
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME:
            return False
        expected = base64.b64decode(key)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, got)


def check_password_policy(password: str) -> str | None:
    """A reason the password is refused, or None."""
    if not MIN_PASSWORD_LEN <= len(password) <= MAX_PASSWORD_LEN:
        return f"a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters"
    return None
