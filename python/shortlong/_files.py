"""Counting files and streams: ``count_file`` and the command's standard input.

Owns reading: a file is read with ``readinto`` into a buffer of at most
`CHUNK` bytes, never memory-mapped, so that another process truncating it
cannot kill this one (a read of a mapped page past the new end raises
SIGBUS, which Python cannot catch). A file that fits in one chunk is counted
in one call (on several threads when it is large enough); a larger one is
fed chunk by chunk to a native stream, which gives the same counts wherever
the chunks are cut and keeps memory flat. Files whose size reads as 0
(``/proc``, pipes, FIFOs, ``<(cmd)``) are read until their end. A regular
file whose size changes while it is read raises `FileChangedError`.
"""

from __future__ import annotations

import os
import stat
from typing import Any, BinaryIO

from . import _ffi
from ._errors import ArgumentTypeError, FileChangedError

#: The largest read, and so the memory a count of a file holds.
CHUNK = 8 << 20
#: The first buffer for a file of unknown size (a pipe gives 64 KiB a read).
_UNKNOWN = 1 << 18


def fspath(path: Any) -> str | bytes:
    """`path` as ``os.fspath`` gives it; `ArgumentTypeError` for anything
    that is not a path (an ``int`` would be read as a file descriptor)."""
    if isinstance(path, (str, bytes)) or hasattr(type(path), "__fspath__"):
        name: str | bytes = os.fspath(path)
        return name
    raise ArgumentTypeError(
        f"path must be a str, bytes or os.PathLike, not {type(path).__name__}"
        " (shortlong does not read file descriptors; pass the file's path)"
    )


def count_path(path: Any, opts: Any, threads: int) -> tuple[int, int, int]:
    """(words, ignored, long) of the file at `path`."""
    name = fspath(path)
    with open(name, "rb", buffering=0) as f:
        st = os.fstat(f.fileno())
        size = st.st_size if stat.S_ISREG(st.st_mode) else 0
        counts = count_stream(f, opts, threads, size)
        if size:
            after = os.fstat(f.fileno()).st_size
            if after != size:
                raise _changed(name, f"{size} bytes when opened, {after} after")
        return counts


def count_stream(f: BinaryIO, opts: Any, threads: int, size: int = 0) -> tuple[int, int, int]:
    """(words, ignored, long) of what `f` yields until its end; `size` is
    what it should yield (0: unknown). `f` is not closed."""
    # One byte more than expected, to see a file that grew in one read.
    buf = bytearray(min(CHUNK, size + 1) if size else _UNKNOWN)
    with memoryview(buf) as view:
        n = _fill(f, view)
        if n < len(buf):  # the whole input: one call, threads and all
            _check_size(f, size, n)
            with view[:n] as whole:
                return _ffi.count(opts, whole, threads)
        if len(buf) < CHUNK:
            buf = bytearray(CHUNK)
            buf[:n] = view
    stream = _ffi.Stream(opts)
    total = 0
    with memoryview(buf) as view:
        while n:
            stream.feed(view, n)
            total += n
            if size and total > size:  # it grew: stop now, it may never end
                break
            n = _fill(f, view)
    _check_size(f, size, total)
    return stream.finish()


def _fill(f: BinaryIO, view: memoryview) -> int:
    """Read into `view` until it is full or the input ends: the bytes read."""
    n = 0
    while n < len(view):
        got = f.readinto(view[n:])  # type: ignore[attr-defined]
        if not got:
            break
        n += got
    return int(n)


def _check_size(f: BinaryIO, size: int, n: int) -> None:
    if size and n != size:
        raise _changed(getattr(f, "name", "the file"), f"{size} bytes when opened, {n} read")


def _changed(name: Any, how: str) -> FileChangedError:
    shown = os.fsdecode(name) if isinstance(name, (str, bytes)) else str(name)
    err = FileChangedError(f"{shown} changed size while it was counted ({how}); count it again")
    err.filename = name
    return err
