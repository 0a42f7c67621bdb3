"""Let root feel `chmod 000` in a test: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH for a block, then restore them.

Linux only. Only the *effective* set of the *calling thread* changes; the permitted set keeps both
capabilities, so they come back in ``finally``. Do the file listing on this thread.

    from nodac import without_dac_override, can_drop_dac
    if not can_drop_dac(): pytest.skip("needs Linux with CAP_DAC_OVERRIDE in the permitted set")
    with without_dac_override():
        ...  # os.listdir(locked) raises PermissionError here, even as root

Verified in this sandbox (root, capabilities 0x1fffeffffff): inside the block ``os.listdir`` of a 000
directory raises ``PermissionError`` and ``Path.rglob`` leaves it out; afterwards it lists again.
"""

from __future__ import annotations

import contextlib
import ctypes
import sys

_V3 = 0x20080522  # _LINUX_CAPABILITY_VERSION_3
_BITS = (1 << 1) | (1 << 2)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _get():
    header, data = _Header(_V3, 0), (_Data * 2)()
    if _libc().capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    return header, data


def _set(header, data) -> None:
    if _libc().capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def can_drop_dac() -> bool:
    """Whether this process can drop and later regain the two capabilities."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        _header, data = _get()
    except (OSError, AttributeError):
        return False
    return data[0].permitted & _BITS == _BITS


@contextlib.contextmanager
def without_dac_override():
    header, data = _get()
    saved = data[0].effective
    data[0].effective = saved & ~_BITS
    _set(header, data)
    try:
        yield
    finally:
        header, data = _get()
        data[0].effective = saved
        _set(header, data)
