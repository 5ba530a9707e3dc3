"""Team codes and trainer tokens: how they are made, stored and checked.

A classroom runs like a quiz night: the trainer hands each table a slip with its team code
and keeps one trainer token for the front desk. The codes have to be typed by students on
phones, so they are short and readable: 8 characters from a 31-letter alphabet without the
look-alikes ``0 O 1 I L`` (grouped ``ABCD-EFGH`` on the slip; dashes, spaces and case are
ignored when typed). That is 31**8 ≈ 8.5e11 codes, about 39.6 bits: too few to resist an
unlimited online guesser, enough behind a per-class rate limit. At 10 failed tries per
second for a 3-hour session (about 1e5 guesses) against 40 valid codes, the chance of
hitting any team's code is about 5e-6. **The rate limit is the server's job** (it sees the
requests); this module only guarantees that a check costs the same whether or not a team
exists. The trainer token is ``secrets.token_urlsafe(32)``, 256 bits, never guessable.

Both are stored only as HMAC-SHA256 digests keyed by a random per-class salt, with a
different prefix for each kind so that a team code can never pass as a trainer token even
if the strings were equal. Why a keyed fast hash rather than scrypt or PBKDF2: a team
presents only its code, not its name, so the store finds the team by the code's digest
through an index, one row per request. A per-row salted slow hash would have to be tried
against each of 40 teams on every submission, 40 key stretches per request, which is the
wrong cost for 40 teams submitting in the same minute. What a slow hash would protect is
also small: whoever holds the database file already reads every decision and result in
it; the digests only keep the file from handing out working codes to whoever copies it.
Candidate digests are compared with :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sim.errors import UserError
from sim.i18n import catalogue

__all__ = [
    "CODE_ALPHABET",
    "CODE_LENGTH",
    "AccessDenied",
    "code_digest",
    "new_salt",
    "new_team_code",
    "new_trainer_token",
    "normalise_code",
    "same_digest",
    "token_digest",
]

#: Upper-case letters and digits without 0/O, 1/I/L: nothing a student can misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
#: Longest credential worth hashing; anything longer is refused before any work.
_MAX_PRESENTED = 128
_ALPHABET = frozenset(CODE_ALPHABET)


def new_salt() -> bytes:
    """A fresh 32-byte per-class key for the digests."""
    return secrets.token_bytes(32)


def new_team_code() -> str:
    """A team code as printed on the slip, e.g. ``K7QM-X3RD``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def new_trainer_token() -> str:
    """A trainer token: 32 random bytes, URL-safe base64 (43 characters)."""
    return secrets.token_urlsafe(32)


def normalise_code(code: object) -> str | None:
    """The code as typed, without dashes, spaces and case; None if it cannot be a code.

    Returns None rather than raising so that the caller answers every bad credential with
    the same :class:`AccessDenied` message.
    """
    if not isinstance(code, str) or len(code) > _MAX_PRESENTED:
        return None
    cleaned = code.replace("-", "").replace(" ", "").upper()
    if len(cleaned) != CODE_LENGTH or not set(cleaned) <= _ALPHABET:
        return None
    return cleaned


def code_digest(salt: bytes, code: str) -> bytes:
    """The stored form of a (normalised) team code."""
    return hmac.new(salt, b"team:" + code.encode("utf-8"), hashlib.sha256).digest()


def token_digest(salt: bytes, token: object) -> bytes:
    """The stored form of a trainer token.

    A non-string or overlong one gets a digest no token has, so the comparison still runs,
    and still fails.
    """
    if not isinstance(token, str) or len(token) > _MAX_PRESENTED:
        token = "\x00invalid"
    return hmac.new(salt, b"trainer:" + token.encode("utf-8", "replace"), hashlib.sha256).digest()


def same_digest(stored: bytes | None, presented: bytes) -> bool:
    """Constant-time equality of two digests; a missing stored one never matches."""
    if stored is None:
        hmac.compare_digest(presented, presented)  # same work either way
        return False
    return hmac.compare_digest(bytes(stored), presented)


class AccessDenied(UserError):
    """A credential that does not open what was asked for.

    One message for every cause (no such class, no such team, a code of another class, a
    team code where the trainer token is needed or the other way round), so that a guesser
    learns nothing from the answer but "no".
    """

    def __init__(self) -> None:
        super().__init__(catalogue("en")("classroom.error.denied"))
