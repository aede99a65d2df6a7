"""A memory leak the process really has and really gives back (standard library only).

Blocks are anonymous 1 MiB ``mmap``\\ s written through, not bytearrays: each is its own mapping,
so the resident set grows by what is written and shrinks by the same when it is unmapped. Freed
bytearrays go back to glibc's heap, which keeps them (after the first frees, malloc raises its
mmap threshold), and the resident set would not come down.
"""

from __future__ import annotations

import gc
import mmap

MEGABYTE = 1024 * 1024
_FILL = b"\xa5" * MEGABYTE


class Leak:
    """Memory held on purpose, in whole megabytes."""

    def __init__(self) -> None:
        self._blocks: list[mmap.mmap] = []

    @property
    def megabytes(self) -> int:
        return len(self._blocks)

    def grow_to(self, megabytes: int) -> None:
        """Hold ``megabytes`` (never fewer than already held: a leak does not shrink by itself)."""
        while len(self._blocks) < megabytes:
            block = mmap.mmap(-1, MEGABYTE)
            block.write(_FILL)  # every page written, so every page is resident
            self._blocks.append(block)

    def free(self) -> int:
        """Give every block back to the kernel. Returns how many megabytes were freed."""
        freed = len(self._blocks)
        for block in self._blocks:
            block.close()
        self._blocks.clear()
        gc.collect()
        return freed
