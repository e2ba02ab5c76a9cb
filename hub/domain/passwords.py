"""CS passwords as scrypt hashes (stdlib `hashlib.scrypt`, no extra dependency).

Stored as `scrypt$n$r$p$<salt>$<hash>` (base64) so the cost can be raised later while old
hashes still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

N, R, P, DKLEN = 2**14, 8, 1, 32
# A valid hash of a random password: unknown usernames cost the same time as known ones.
_DUMMY_SALT = os.urandom(16)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode(), salt=salt, n=n, r=r, p=p, dklen=DKLEN, maxmem=256 * 1024 * 1024
    )


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = _derive(password, salt, N, R, P)
    b64 = base64.b64encode
    return f"scrypt${N}${R}${P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check; `stored=None` (no such user) still spends the scrypt time."""
    if stored is None:
        _derive(password, _DUMMY_SALT, N, R, P)
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _derive(password, base64.b64decode(salt), int(n), int(r), int(p))
        return hmac.compare_digest(actual, base64.b64decode(digest))
    except ValueError:
        return False
