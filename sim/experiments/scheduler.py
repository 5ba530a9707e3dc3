"""Dask scheduler addresses, checked with plain sockets before Dask is handed one.

Given a bad address, dask.distributed takes its time or worse: it retries a refused
connection until its timeout, waits with no timeout for the handshake of whatever
accepted the connection (an HTTP server never sends one), and reads the first bytes a
peer sends as the length of a message (an echo server's echo ends in a MemoryError). So
:func:`check_scheduler` looks first, a few seconds at most: something must listen at the
address, and on ``tcp://`` (Dask's default) it must greet like a Dask server, which sends
a small handshake message as soon as a connection opens, before reading anything.
"""

from __future__ import annotations

import socket
import struct
import time

from sim.errors import UserError

__all__ = ["CONNECT_SECONDS", "GREETING_BYTES", "GREETING_SECONDS", "check_scheduler"]

#: How long a TCP connection to the scheduler may take to open.
CONNECT_SECONDS = 3.0

#: How long a Dask server may take to send its handshake once connected.
GREETING_SECONDS = 3.0

#: Largest handshake accepted (a real one is well under a kilobyte).
GREETING_BYTES = 64 * 1024

#: Schemes whose listener is a TCP port this module can connect to; only plain ``tcp``
#: greets in the clear (``tls`` and ``ws`` speak TLS or HTTP first).
_TCP_SCHEMES = frozenset({"tcp", "tls", "ws", "wss"})

#: Dask's frame lengths: unsigned 64-bit integers in the machine's byte order.
_LENGTH = struct.Struct("Q")


def check_scheduler(address: str) -> None:
    """Check that a Dask scheduler can answer at ``address``, in seconds rather than minutes.

    Args:
        address: ``[scheme://]host:port``; Dask's default scheme is ``tcp``. Schemes that
            do not listen on a TCP port (``inproc``, ``ucx``) are left to Dask.

    Raises:
        UserError: a malformed address, an unknown host, nothing listening, no answer within
            :data:`CONNECT_SECONDS`, or (on ``tcp``) a peer that sends no Dask handshake
            within :data:`GREETING_SECONDS`.
    """
    scheme, host, port = _split(address)
    if scheme not in _TCP_SCHEMES:
        return
    where = f"cannot reach the Dask scheduler at {address!r}"
    try:
        conn = socket.create_connection((host, port), timeout=CONNECT_SECONDS)
    except socket.gaierror:
        raise UserError(f"{where}: unknown host {host!r}") from None
    except TimeoutError:
        raise UserError(f"{where}: no answer within {CONNECT_SECONDS:g} s") from None
    except ConnectionRefusedError:
        raise UserError(f"{where}: nothing listens on port {port} (connection refused)") from None
    except OSError as exc:
        raise UserError(f"{where}: {exc.strerror or exc}") from None
    with conn:
        if scheme == "tcp" and (why := _not_a_greeting(conn)):
            raise UserError(
                f"{address!r} is not a Dask scheduler: {why} (is it the dashboard's port, or "
                "another service? a scheduler listens on 8786 by default)"
            )


def _split(address: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a Dask address; ``tcp`` when no scheme is given."""
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", scheme
    if scheme not in _TCP_SCHEMES:
        return scheme, rest, 0
    host, colon, port = rest.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UserError(
            f"a Dask scheduler address is [tcp://]host:port (e.g. tcp://10.0.0.5:8786), "
            f"got {address!r}"
        )
    return scheme, host, int(port)


def _not_a_greeting(conn: socket.socket) -> str:
    """Why what the peer sends first is not a Dask handshake; empty if it is one.

    A Dask message on TCP is its length, then the number of frames, their lengths and the
    frames; a handshake is one small msgpack map naming the pickle protocol.
    """
    deadline = time.monotonic() + GREETING_SECONDS
    try:
        (size,) = _LENGTH.unpack(_receive(conn, _LENGTH.size, deadline))
        if not 2 * _LENGTH.size <= size <= GREETING_BYTES:
            return "its first message is not a Dask handshake"
        body = _receive(conn, size, deadline)
    except TimeoutError:
        return f"it sent no Dask handshake within {GREETING_SECONDS:g} s"
    except ConnectionError:
        return "it closed the connection without a Dask handshake"
    (frames,) = _LENGTH.unpack_from(body)
    head = _LENGTH.size * (1 + frames)
    if not 0 < frames <= size // _LENGTH.size or head > size:
        return "its first message is not a Dask handshake"
    lengths = [_LENGTH.unpack_from(body, _LENGTH.size * (1 + k))[0] for k in range(frames)]
    if head + sum(lengths) != size or not _is_handshake(body[head : head + lengths[0]]):
        return "its first message is not a Dask handshake"
    return ""


def _receive(conn: socket.socket, size: int, deadline: float) -> bytes:
    """Exactly ``size`` bytes before ``deadline``.

    Raises:
        TimeoutError: the deadline passed first.
        ConnectionError: the peer closed the connection first.
    """
    chunks: list[bytes] = []
    left = size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        conn.settimeout(remaining)
        chunk = conn.recv(min(left, GREETING_BYTES))
        if not chunk:
            raise ConnectionError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _is_handshake(frame: bytes) -> bool:
    """Whether a frame is msgpack of a mapping that names a pickle protocol."""
    # msgpack comes with dask.distributed, the only user of this module.
    import msgpack

    try:
        message = msgpack.unpackb(frame, raw=False, strict_map_key=False)
    except Exception:  # msgpack signals bad input with several unrelated exception types
        return False
    return isinstance(message, dict) and "pickle-protocol" in message
