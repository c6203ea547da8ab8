"""Password hashes for ``passwd.users[].password_hash`` and ``grub.users[].password_hash``."""

from __future__ import annotations

import ctypes
import ctypes.util

from .errors import UsageError

METHODS = ("sha512", "yescrypt")


def hash_password(password: str, method: str = "sha512") -> str:
    """A crypt(3) hash: sha512-crypt (``$6$``), or yescrypt (``$y$``) where libcrypt has it."""
    if method == "sha512":
        from passlib.hash import sha512_crypt

        # 5000 rounds is crypt(3)'s default and what mkpasswd writes; shadow-utils reads any.
        return sha512_crypt.using(rounds=5000).hash(password)
    if method == "yescrypt":
        return _libcrypt("$y$", password)
    raise UsageError(f"unknown hash method {method!r}; use one of: {', '.join(METHODS)}")


def grub_hash(password: str) -> str:
    """A ``grub.pbkdf2.sha512.…`` hash, as grub2-mkpasswd-pbkdf2 writes."""
    from passlib.hash import grub_pbkdf2_sha512

    return grub_pbkdf2_sha512.using(rounds=10000).hash(password)


def yescrypt_available() -> bool:
    try:
        _libcrypt("$y$", "probe")
    except UsageError:
        return False
    return True


def _libcrypt(prefix: str, password: str) -> str:
    name = ctypes.util.find_library("crypt")
    if name is None:
        raise UsageError("yescrypt needs the system's libcrypt (libxcrypt), which was not found")
    lib = ctypes.CDLL(name)
    try:
        gensalt = lib.crypt_gensalt
    except AttributeError:
        raise UsageError("this system's libcrypt cannot make yescrypt hashes") from None
    gensalt.restype = ctypes.c_char_p
    gensalt.argtypes = [ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int]
    crypt = lib.crypt
    crypt.restype = ctypes.c_char_p
    crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    setting = gensalt(prefix.encode(), 0, None, 0)
    if not setting:
        raise UsageError("this system's libcrypt cannot make yescrypt hashes")
    out = crypt(password.encode(), setting)
    if not out or not out.startswith(prefix.encode()):
        raise UsageError("this system's libcrypt cannot make yescrypt hashes")
    return out.decode()
