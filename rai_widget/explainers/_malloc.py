"""Let glibc reuse the large buffers of batched torch passes on CPU, without changing any malloc setting.

Batched forward and backward passes allocate and free tens of MB of activations per pass. glibc serves a
block above its mmap threshold with fresh pages from the kernel, and gives the top of its heap back once
more than the trim threshold is free there; either way the next pass faults and zeroes the same pages
again, and a long run of passes (the path points of integrated gradients) spends much of its time in page
faults. Measured on EfficientNet-Lite0 at 224 px, 50 IG steps, 8 per pass, 2 threads: about 1.15 s per
image untuned, 0.9 s with this (and the same with the mallopt() settings an earlier version changed).

mallopt() changes process-wide settings, cannot be read back (glibc has no getter) and, once called,
turns off glibc's dynamic thresholds for good, so no library code should call it. This module only
allocates and frees memory, for the duration of the block:

1. It frees one block just under 32 MB. Under glibc's documented dynamic threshold (mallopt(3)) freeing
   a mapped block raises the mmap threshold to its size (and the trim threshold to twice that): the state
   any program reaches once it frees such an array, and that the passes themselves reach after the first.
   Blocks below it then come from the heap. When the user has set the thresholds (mallopt,
   MALLOC_MMAP_THRESHOLD_, GLIBC_TUNABLES) the dynamic adjustment is off and this changes nothing (the
   blocks of step 2 are then mapped one by one and unmapped when freed: no gain, no harm).
2. It takes up to 1 GB of heap address space in such blocks and frees all but the highest one, which it
   keeps: the freed space lies below a block in use, so it is not the top of the heap and glibc does not
   trim it, and glibc serves requests of any size from free heap space before it maps new pages. The
   passes' buffers come from it and stay resident between passes. Address space never written costs no
   memory.
3. At the end it frees the block it kept (glibc trims the top by its own rule) and calls malloc_trim(0),
   which returns the free pages to the system: no setting differs from before, and memory is given back.

Elsewhere (not glibc, e.g. musl or macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from contextlib import contextmanager

_BLOCK = (32 << 20) - (64 << 10)  # below glibc's largest dynamic mmap threshold on 64-bit (32 MB)
_RESERVE = 1 << 30  # heap kept for reuse at most, during the block


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim  # noqa: B018  (glibc's; musl has none)
    except (OSError, AttributeError):
        return None
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


@contextmanager
def reuse_large_buffers():
    """Within the block, freed large buffers stay in the heap for the next pass; after it, the memory is
    given back. No malloc setting is changed (see the module's docstring)."""
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.free(libc.malloc(_BLOCK))  # glibc's dynamic rule: the mmap threshold rises to this block's size
    blocks = []
    for _ in range(_RESERVE // _BLOCK):
        p = libc.malloc(_BLOCK - 4096)  # below the threshold just set: from the heap, not mapped on its own
        if not p:
            break
        blocks.append(p)
    keep = max(blocks, default=None)  # the highest: the space freed below it is not the heap's top
    for p in blocks:
        if p != keep:
            libc.free(p)
    try:
        yield
    finally:
        if keep is not None:
            libc.free(keep)
        libc.malloc_trim(0)


def empty_without_huge_pages(shape, dtype=float):
    """np.empty for a large result array filled once, without numpy's MADV_HUGEPAGE advice on it.

    numpy advises the kernel to back arrays of 4 MB and more with transparent huge pages. Where the kernel's
    THP defrag setting is "madvise" (the default of many distributions), the first write to each 2 MB page then
    waits for the kernel to compact memory for it: on these machines, filling a fresh 240 MB array took 2.1 s
    with the advice and 0.09 s without (1,000,000 x 30 float64 values; explain() spent a sixth of its time
    there). The setting is numpy's own and global, so it is turned off for this one allocation and restored at
    once; numpy versions without it get a plain np.empty.
    """
    import numpy as np

    setter = getattr(getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    if setter is None:
        return np.empty(shape, dtype=dtype)
    before = setter(False)
    try:
        return np.empty(shape, dtype=dtype)
    finally:
        setter(before)
