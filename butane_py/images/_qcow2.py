"""qcow2 images converted to raw disks natively: streaming, in bounded memory, sparse.

Reads qcow2 versions 2 and 3 through the active L1 and L2 tables (refcounts and internal
snapshots are never needed to read the current disk): normal, zlib- and zstd-compressed,
zero and unallocated clusters, and extended L2 entries (subclusters). Unallocated and zero
clusters become holes in the output, and so does every all-zero 4 KiB block of data, as
``qemu-img convert`` does by default, so the raw disk takes the same space.

Every byte of the image is treated as hostile: each offset is checked against the file, each
size against a limit, each compressed cluster must inflate to exactly one cluster, and
anything this reader does not implement (backing files, encryption, external data files,
unknown incompatible features) or that the image marks as unsafe (dirty, corrupt) is refused
with :class:`Qcow2Error`. Memory is bounded whatever the image: two staging buffers of 1 MiB
(or one cluster), one L2 table and a few compressed clusters being inflated.
"""

from __future__ import annotations

import fcntl
import os
import stat
import struct
import sys
import threading
import zlib
from array import array
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO, Callable

from ..io import os_reason, same_file, signals_unwind
from ._common import ImageError, printable

MAGIC = b"QFI\xfb"

#: The largest virtual disk accepted (64 TiB): beyond any VM disk one downloads or converts
#: (ext4 files stop at 16 TiB), so a forged size cannot ask for an absurd output.
MAX_VIRTUAL_SIZE = 1 << 46
#: qemu's own limit on the active L1 table (32 MiB), so a hostile table cannot be huge.
MAX_L1_BYTES = 32 << 20

_MIN_CLUSTER_BITS, _MAX_CLUSTER_BITS = 9, 21  # 512 bytes to 2 MiB, as qemu
_MIN_EXTENDED_L2_CLUSTER_BITS = 14  # subclusters need clusters of at least 16 KiB
_V2_HEADER = 72
_V3_HEADER = 104  # the compression type byte follows when header_length is larger
_MAX_BACKING_NAME = 1023

_INCOMPAT_DIRTY = 1 << 0
_INCOMPAT_CORRUPT = 1 << 1
_INCOMPAT_DATA_FILE = 1 << 2
_INCOMPAT_COMPRESSION = 1 << 3
_INCOMPAT_EXTENDED_L2 = 1 << 4
_INCOMPAT_KNOWN = (1 << 5) - 1

_COMPRESSION_TYPES = {0: "zlib", 1: "zstd"}
_CRYPT_METHODS = {1: "AES", 2: "LUKS"}

# L1 entry: bits 9-55 the L2 table's offset, bit 63 "copied"; the rest is reserved.
_L1_OFFSET = 0x00FF_FFFF_FFFF_FE00
_L1_RESERVED = 0x7F00_0000_0000_01FF
# L2 entry: bit 62 compressed, bit 63 copied (a refcount hint, ignored for reading).
_L2_COMPRESSED = 1 << 62
_L2_ZERO = 1  # v3 without extended L2 only: the cluster reads as zeros
_L2_OFFSET = 0x00FF_FFFF_FFFF_FE00
_L2_RESERVED = 0x3F00_0000_0000_01FE
_SUBCLUSTERS = 32

_SECTOR = 512
#: Holes are left for all-zero blocks of this size (qemu-img convert's default ``-S 4k``).
ZERO_BLOCK = 4096
_ZEROS = bytes(ZERO_BLOCK)
_WIDE_ZERO = 64 * ZERO_BLOCK  # long zero runs are skipped this much at a time
_WIDE_ZEROS = bytes(_WIDE_ZERO)
#: Data is staged and written in pieces of up to this size, or of one cluster where clusters
#: are larger: pieces that stay in a core's cache are copied faster (8 MiB ones were 20% slower).
_STAGE = 1 << 20
_L1_CHUNK = 8192  # entries read at a time
# Compressed clusters are inflated on this many threads (qemu uses 4).
_INFLATE_THREADS = min(4, os.cpu_count() or 1)
_INFLATE_TASK = 256 << 10  # smaller clusters are inflated this much per task
# A zstd frame that asks for a larger window than this is refused (a cluster is <= 2 MiB).
_ZSTD_MAX_WINDOW = 4 << 20

Source = str | os.PathLike[str] | int | BinaryIO
Output = int | BinaryIO


class Qcow2Error(ImageError):
    """A qcow2 image that cannot be converted: a feature this reader refuses, or a damaged
    or hostile image. The message is one line and says which."""


@dataclass(frozen=True)
class Qcow2Header:
    """What the conversion needs from a validated qcow2 header."""

    version: int
    cluster_bits: int
    virtual_size: int
    l1_offset: int
    #: L1 entries that cover the virtual size (the table may hold more).
    l1_entries: int
    compression: str
    extended_l2: bool

    @property
    def cluster_size(self) -> int:
        return 1 << self.cluster_bits


def is_qcow2(src: Source) -> bool:
    """Whether ``src`` (a path, descriptor or binary file) starts with the qcow2 magic;
    False when it cannot be read."""
    try:
        with _opened(src) as (fd, _):
            return os.pread(fd, len(MAGIC), 0) == MAGIC
    except (OSError, Qcow2Error):
        return False


def read_header(src: Source) -> Qcow2Header:
    """The validated header of ``src``; :class:`Qcow2Error` for anything refused."""
    with _opened(src) as (fd, where):
        return _Image(fd, where).header


def qcow2_to_raw(src: Source, out: Output) -> Qcow2Header:
    """Write the raw disk of the qcow2 image ``src`` to ``out``; returns its header.

    ``out`` is a descriptor or binary file open for writing on a regular file (with nothing
    buffered in it). It is truncated, then gets exactly the virtual size, with holes wherever
    the disk reads as zeros. The caller makes it atomic (a temporary file renamed once this
    returns) and removes it when this raises, SIGTERM and SIGHUP included (they raise
    :class:`butane_py.io.Terminated` here). ``src`` is only read.
    """
    with signals_unwind(), _opened(src) as (fd, where):
        image = _Image(fd, where)
        out_fd = out if isinstance(out, int) else out.fileno()
        try:
            out_st = os.fstat(out_fd)
        except OSError as exc:
            raise Qcow2Error(f"cannot write the raw disk: {os_reason(exc)}") from None
        src_st = os.fstat(fd)
        if not stat.S_ISREG(out_st.st_mode):
            raise Qcow2Error("the raw disk must be written to a regular file")
        if fcntl.fcntl(out_fd, fcntl.F_GETFL) & os.O_APPEND:  # pwrite would append, not place
            raise Qcow2Error("the raw disk's file must not be open for appending")
        if same_file(out_st, src_st):
            raise Qcow2Error(f"{where}refusing to write the raw disk over its own qcow2 image")
        try:
            if out_st.st_size:
                # Only a file with contents is emptied: on ext4 a truncation to zero makes
                # the file's close wait for its new data to be allocated (auto_da_alloc).
                os.ftruncate(out_fd, 0)
            os.ftruncate(out_fd, image.header.virtual_size)
            with _SparseWriter(out_fd, max(_STAGE, image.header.cluster_size)) as writer:
                image.copy_to(writer)
                writer.flush()
        except OSError as exc:
            raise Qcow2Error(f"cannot write the raw disk: {os_reason(exc)}") from None
        return image.header


@contextmanager
def _opened(src: Source) -> Iterator[tuple[int, str]]:
    """A read descriptor on ``src`` and the prefix its messages get (``path: ``)."""
    if isinstance(src, int):
        yield src, ""
        return
    if hasattr(src, "fileno"):
        yield src.fileno(), ""
        return
    path = os.fspath(src)
    where = printable(f"{path}: ")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise Qcow2Error(f"{where}cannot open: {os_reason(exc)}") from None
    try:
        yield fd, where
    finally:
        os.close(fd)


class _Image:
    """One qcow2 image open for reading; its header is validated on construction."""

    def __init__(self, fd: int, where: str) -> None:
        self.fd = fd
        self.where = where
        try:
            self.file_size = os.lseek(fd, 0, os.SEEK_END)  # block devices too, unlike st_size
        except OSError as exc:
            raise self.error(f"cannot read: {os_reason(exc)}") from None
        self.header = self._parse_header()
        self._decompress = self._decompressor()

    def error(self, message: str) -> Qcow2Error:
        return Qcow2Error(f"{self.where}{message}")

    def read(self, offset: int, length: int, what: str) -> bytes:
        """Exactly ``length`` bytes at ``offset``, else :class:`Qcow2Error` naming ``what``."""
        if offset + length > self.file_size:
            raise self.error(f"truncated or corrupt qcow2 image: {what} lies beyond the end of the file")
        try:
            data = os.pread(self.fd, length, offset)
        except OSError as exc:
            raise self.error(f"cannot read {what}: {os_reason(exc)}") from None
        if len(data) != length:
            raise self.error(f"truncated qcow2 image: the file ended inside {what}")
        return data

    def read_into(self, view: memoryview, offset: int, what: str) -> None:
        if offset + len(view) > self.file_size:
            raise self.error(f"truncated or corrupt qcow2 image: {what} lies beyond the end of the file")
        done = 0
        while done < len(view):
            try:
                n = os.preadv(self.fd, [view[done:]], offset + done)
            except OSError as exc:
                raise self.error(f"cannot read {what}: {os_reason(exc)}") from None
            if n == 0:
                raise self.error(f"truncated qcow2 image: the file ended inside {what}")
            done += n

    # -- header -------------------------------------------------------------------------------

    def _parse_header(self) -> Qcow2Header:
        head = self.read(0, min(_V3_HEADER + 1, self.file_size), "the header")
        if head[:4] != MAGIC:
            raise self.error("not a qcow2 image (no QFI\\xfb magic)")
        if len(head) < _V2_HEADER:
            raise self.error("truncated qcow2 image: the header is incomplete")
        (version, backing_offset, backing_size, cluster_bits, size, crypt, l1_size, l1_offset) = (
            struct.unpack_from(">IQIIQIIQ", head, 4)
        )
        if version not in (2, 3):
            raise self.error(f"qcow2 version {version} is not supported (only 2 and 3)")
        incompatible, compression_type, header_length = 0, 0, _V2_HEADER
        if version == 3:
            if len(head) < _V3_HEADER:
                raise self.error("truncated qcow2 image: the version 3 header is incomplete")
            incompatible = struct.unpack_from(">Q", head, 72)[0]
            header_length = struct.unpack_from(">I", head, 100)[0]
            if header_length < _V3_HEADER:
                raise self.error(f"corrupt qcow2 header: header length {header_length} is below {_V3_HEADER}")
            if header_length > _V3_HEADER:
                if len(head) <= _V3_HEADER:
                    raise self.error("truncated qcow2 image: the header is incomplete")
                compression_type = head[_V3_HEADER]
        if not _MIN_CLUSTER_BITS <= cluster_bits <= _MAX_CLUSTER_BITS:
            raise self.error(
                f"corrupt qcow2 header: cluster_bits {cluster_bits} is outside "
                f"{_MIN_CLUSTER_BITS}..{_MAX_CLUSTER_BITS} (512 bytes to 2 MiB clusters)"
            )
        cluster_size = 1 << cluster_bits
        if header_length > cluster_size:
            raise self.error(f"corrupt qcow2 header: header length {header_length} exceeds a cluster")
        if backing_offset:
            raise self.error(
                f"qcow2 images with a backing file are not supported{self._backing_name(backing_offset, backing_size)}; "
                "flatten it first (qemu-img convert -O qcow2 IMAGE FLAT.qcow2)"
            )
        if crypt:
            method = _CRYPT_METHODS.get(crypt, f"method {crypt}")
            raise self.error(f"encrypted qcow2 images ({method}) are not supported; decrypt it with qemu-img convert first")
        self._check_features(incompatible, compression_type)
        extended_l2 = bool(incompatible & _INCOMPAT_EXTENDED_L2)
        if extended_l2 and cluster_bits < _MIN_EXTENDED_L2_CLUSTER_BITS:
            raise self.error("corrupt qcow2 header: extended L2 entries need clusters of at least 16 KiB")
        if size > MAX_VIRTUAL_SIZE:
            raise self.error(f"qcow2 virtual size {size} is beyond the limit of {MAX_VIRTUAL_SIZE} bytes (64 TiB)")
        entry_bytes = 16 if extended_l2 else 8
        l2_span = (cluster_size // entry_bytes) << cluster_bits  # guest bytes one L2 table covers
        l1_needed = -(-size // l2_span)
        if l1_needed * 8 > MAX_L1_BYTES:
            raise self.error("qcow2 L1 table would exceed 32 MiB (virtual size too large for the cluster size)")
        if l1_size < l1_needed:
            raise self.error(f"corrupt qcow2 header: the L1 table ({l1_size} entries) does not cover the virtual size")
        if l1_size * 8 > min(MAX_L1_BYTES, self.file_size):
            raise self.error(f"corrupt qcow2 header: an L1 table of {l1_size} entries is larger than the file allows")
        if l1_size and l1_offset % cluster_size:
            raise self.error(f"corrupt qcow2 header: the L1 table (offset {l1_offset}) is not aligned to a cluster")
        if l1_size and l1_offset + l1_size * 8 > self.file_size:
            raise self.error(f"corrupt qcow2 header: the L1 table (offset {l1_offset}) is not inside the file")
        return Qcow2Header(
            version=version,
            cluster_bits=cluster_bits,
            virtual_size=size,
            l1_offset=l1_offset,
            l1_entries=l1_needed,
            compression=_COMPRESSION_TYPES[compression_type],
            extended_l2=extended_l2,
        )

    def _backing_name(self, offset: int, size: int) -> str:
        """`` (NAME)`` when the header's backing file name can be read, for the message."""
        size = min(size, _MAX_BACKING_NAME)
        if not size or offset + size > self.file_size:
            return ""
        name = self.read(offset, size, "the backing file name").decode("utf-8", "backslashreplace")
        return f" ({printable(name)!r})"

    def _check_features(self, incompatible: int, compression_type: int) -> None:
        if incompatible & _INCOMPAT_DIRTY:
            raise self.error(
                "the qcow2 image is marked dirty (not closed cleanly); repair it with qemu-img check -r all first"
            )
        if incompatible & _INCOMPAT_CORRUPT:
            raise self.error("the qcow2 image is marked corrupt; repair it with qemu-img check -r all first")
        if incompatible & _INCOMPAT_DATA_FILE:
            raise self.error(
                "qcow2 images with an external data file are not supported; "
                "convert it with qemu-img convert first"
            )
        unknown = incompatible & ~_INCOMPAT_KNOWN
        if unknown:
            bits = ", ".join(str(b) for b in range(64) if unknown >> b & 1)
            raise self.error(f"the qcow2 image uses incompatible features this reader does not know (bits {bits})")
        if compression_type not in _COMPRESSION_TYPES:
            raise self.error(f"qcow2 compression type {compression_type} is not supported (only zlib and zstd)")
        if bool(compression_type) != bool(incompatible & _INCOMPAT_COMPRESSION):
            raise self.error(
                "corrupt qcow2 header: the compression type and its incompatible feature bit disagree"
            )

    # -- clusters -----------------------------------------------------------------------------

    def _decompressor(self) -> Callable[[bytes], bytes]:
        """The function that inflates one compressed cluster (at most one cluster of output;
        b"" when the data is not valid). Safe to call from several threads at once."""
        cluster_size = self.header.cluster_size
        if self.header.compression == "zlib":

            def inflate(data: bytes) -> bytes:
                try:
                    return zlib.decompressobj(-15).decompress(data, cluster_size)
                except zlib.error:
                    return b""

            return inflate
        import zstandard

        local = threading.local()  # a decompression context serves one thread at a time

        def unzstd(data: bytes) -> bytes:
            dctx = getattr(local, "dctx", None)
            if dctx is None:
                dctx = local.dctx = zstandard.ZstdDecompressor(max_window_size=_ZSTD_MAX_WINDOW)
            try:
                # A frame that declares its size must declare exactly one cluster: the size
                # it declares is what the decompressor would allocate.
                if zstandard.frame_content_size(data) not in (-1, cluster_size):
                    return b""
                return dctx.decompress(data, max_output_size=cluster_size)
            except zstandard.ZstdError:
                return b""

        return unzstd

    def inflate(self, cluster: tuple[int, int, int]) -> bytes:
        """The data of the compressed ``(guest, host, end)`` cluster: exactly one cluster."""
        guest, host, end = cluster
        what = f"the compressed cluster of guest offset {guest}"
        data = self._decompress(self.read(host, end - host, what))
        if len(data) != self.header.cluster_size:
            raise self.error(f"corrupt qcow2 image: {what} does not decompress to one cluster")
        return data

    def copy_to(self, writer: "_SparseWriter") -> None:
        """Feed every data range of the disk, in guest order, to ``writer``."""
        with _Reads(self, writer) as reads:
            self._walk(reads)

    def _walk(self, reads: "_Reads") -> None:
        """Every allocated cluster, in guest order, to ``reads``."""
        h = self.header
        cluster_size = h.cluster_size
        entry_words = 2 if h.extended_l2 else 1
        l2_clusters = cluster_size // (8 * entry_words)
        l2_span = l2_clusters * cluster_size
        # Each L2 table has a cluster of its own, so there are no more than the file holds:
        # an L1 table that points at one table over and over cannot make the work unbounded.
        l2_tables_left = self.file_size // cluster_size
        for first in range(0, h.l1_entries, _L1_CHUNK):
            count = min(_L1_CHUNK, h.l1_entries - first)
            l1 = _words(self.read(h.l1_offset + 8 * first, 8 * count, "the L1 table"))
            for i, l1_entry in enumerate(l1, first):
                if not l1_entry & _L1_OFFSET:
                    continue  # the whole range is unallocated
                if l1_entry & _L1_RESERVED:
                    raise self.error(f"corrupt qcow2 image: L1 entry {i} has reserved bits set")
                l2_offset = l1_entry & _L1_OFFSET
                l2_tables_left -= 1
                if l2_tables_left < 0:
                    raise self.error("corrupt qcow2 image: the L1 table names more L2 tables than the file holds")
                if l2_offset % cluster_size:
                    raise self.error(f"corrupt qcow2 image: L2 table {i} is not aligned to a cluster")
                l2 = _words(self.read(l2_offset, cluster_size, f"L2 table {i}"))
                base = i * l2_span
                clusters = min(l2_clusters, -(-(h.virtual_size - base) // cluster_size))
                if h.extended_l2:
                    self._extended_l2(l2, clusters, base, reads)
                else:
                    self._standard_l2(l2, clusters, base, reads)

    def _standard_l2(self, l2: array, clusters: int, base: int, reads: "_Reads") -> None:
        cluster_size = self.header.cluster_size
        reserved = _L2_RESERVED | (_L2_ZERO if self.header.version == 2 else 0)
        for j in range(clusters):
            entry = l2[j]
            if not entry & ~(1 << 63):
                continue  # unallocated
            guest = base + j * cluster_size
            if entry & _L2_COMPRESSED:
                self._compressed(entry, guest, reads)
                continue
            if entry & reserved:
                raise self.error(f"corrupt qcow2 image: the L2 entry of guest offset {guest} has reserved bits set")
            if entry & _L2_ZERO:
                continue  # reads as zeros (a preallocated offset, if any, is not read)
            host = entry & _L2_OFFSET
            if host % cluster_size:
                raise self.error(f"corrupt qcow2 image: the cluster of guest offset {guest} is not aligned")
            reads.add(guest, host, cluster_size)

    def _extended_l2(self, l2: array, clusters: int, base: int, reads: "_Reads") -> None:
        cluster_size = self.header.cluster_size
        sub = cluster_size // _SUBCLUSTERS
        for j in range(clusters):
            entry, bitmap = l2[2 * j], l2[2 * j + 1]
            guest = base + j * cluster_size
            if entry & _L2_COMPRESSED:
                self._compressed(entry, guest, reads)  # a compressed cluster has no subclusters
                continue
            allocated, zero = bitmap & 0xFFFF_FFFF, bitmap >> 32
            if not allocated:
                continue  # every subcluster is unallocated or reads as zeros
            if entry & (_L2_RESERVED | _L2_ZERO) or allocated & zero:
                raise self.error(f"corrupt qcow2 image: the L2 entry of guest offset {guest} is invalid")
            host = entry & _L2_OFFSET
            if not host or host % cluster_size:
                raise self.error(f"corrupt qcow2 image: the cluster of guest offset {guest} has no valid offset")
            if allocated == 0xFFFF_FFFF:
                reads.add(guest, host, cluster_size)
                continue
            k = 0
            while k < _SUBCLUSTERS:
                if allocated >> k & 1:
                    start = k
                    while k < _SUBCLUSTERS and allocated >> k & 1:
                        k += 1
                    reads.add(guest + start * sub, host + start * sub, (k - start) * sub)
                else:
                    k += 1

    def _compressed(self, entry: int, guest: int, reads: "_Reads") -> None:
        h = self.header
        offset_bits = 62 - (h.cluster_bits - 8)
        host = entry & ((1 << offset_bits) - 1)
        sectors = ((entry >> offset_bits) & ((1 << (h.cluster_bits - 8)) - 1)) + 1
        end = min((host & ~(_SECTOR - 1)) + sectors * _SECTOR, self.file_size)  # the last sector may pass EOF
        if host >= end:
            raise self.error(
                f"truncated or corrupt qcow2 image: the compressed cluster of guest offset {guest} "
                "lies beyond the end of the file"
            )
        reads.compressed(guest, host, end)


class _Reads:
    """Turns clusters into staged data, in guest order. Guest ranges whose host ranges follow
    each other become one read. Compressed clusters are inflated on a few threads (zlib and
    zstd release the GIL), in tasks of several small clusters, a bounded number in flight,
    and staged in order."""

    def __init__(self, image: _Image, writer: "_SparseWriter") -> None:
        self.image = image
        self.writer = writer
        self.limit = image.header.virtual_size
        self.guest = self.host = self.length = 0  # the read being extended
        # Each guest cluster has a host cluster of its own, so no more data than the file
        # holds is read: data clusters named over and over cannot blow the output up.
        self.data_left = image.file_size
        cluster_size = image.header.cluster_size
        self.task: list[tuple[int, int, int]] = []  # compressed (guest, host, end) to inflate
        self.task_size = max(1, _INFLATE_TASK // cluster_size)
        self.in_flight: deque[tuple[list[tuple[int, int, int]], Future[list[bytes]]]] = deque()
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> "_Reads":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                self.issue()
                self.drain()
        finally:
            if self.pool is not None:
                self.pool.shutdown(cancel_futures=True)

    def add(self, guest: int, host: int, length: int) -> None:
        if (
            self.length
            and guest == self.guest + self.length
            and host == self.host + self.length
            and self.length + length <= self.writer.size
        ):
            self.length += length
            return
        self.issue()
        self.drain()
        self.guest, self.host, self.length = guest, host, length

    def issue(self) -> None:
        """Read the range being extended into the writer."""
        length = min(self.length, self.limit - self.guest)  # the last cluster may pass the end
        self.length = 0
        if length <= 0:
            return
        self.data_left -= length
        if self.data_left < 0:
            raise self.image.error("corrupt qcow2 image: the L2 tables name more data than the file holds")
        self.image.read_into(self.writer.take(self.guest, length), self.host, f"the data of guest offset {self.guest}")

    def compressed(self, guest: int, host: int, end: int) -> None:
        self.issue()
        self.task.append((guest, host, end))
        if len(self.task) >= self.task_size:
            self._submit()

    def drain(self) -> None:
        """Stage every compressed cluster handed over so far."""
        if self.task:
            self._submit()
        while self.in_flight:
            self._stage_oldest()

    def _submit(self) -> None:
        task, self.task = self.task, []
        if _INFLATE_THREADS == 1:
            self._stage(task, self._inflate(task))
            return
        if self.pool is None:
            self.pool = ThreadPoolExecutor(_INFLATE_THREADS, thread_name_prefix="qcow2-inflate")
        self.in_flight.append((task, self.pool.submit(self._inflate, task)))
        if len(self.in_flight) > 2 * _INFLATE_THREADS:
            self._stage_oldest()

    def _inflate(self, task: list[tuple[int, int, int]]) -> list[bytes]:
        return [self.image.inflate(cluster) for cluster in task]

    def _stage_oldest(self) -> None:
        task, future = self.in_flight.popleft()
        self._stage(task, future.result())

    def _stage(self, task: list[tuple[int, int, int]], clusters: list[bytes]) -> None:
        for (guest, _, _), data in zip(task, clusters):
            length = min(len(data), self.limit - guest)
            self.writer.take(guest, length)[:] = memoryview(data)[:length]


class _SparseWriter:
    """Stages consecutive guest bytes and writes them, leaving a hole for every all-zero
    :data:`ZERO_BLOCK` (blocks are aligned to the disk, not to the staged range).

    Two staging buffers take turns: one is written out by a background thread (``pwrite``
    releases the GIL) while the next is read and scanned, as qemu-img overlaps its I/O.
    Use it as a context manager: leaving the block waits for the last write.
    """

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size  # of each buffer: no range taken is larger
        self.spare = memoryview(bytearray(size))
        self.view = memoryview(bytearray(size))
        self.buf = self.view.obj
        self.start = 0
        self.used = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="qcow2-write")
        self.writing: Future[None] | None = None

    def __enter__(self) -> "_SparseWriter":
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            self._wait()
        except Exception:
            if exc_type is None:
                raise  # else the error on the way out (a signal, say) is the one to see
        finally:
            self.pool.shutdown()

    def take(self, offset: int, length: int) -> memoryview:
        """The staging space for ``length`` bytes at guest ``offset``, to fill before the next call."""
        if self.used and (offset != self.start + self.used or self.used + length > self.size):
            self.flush()
        if not self.used:
            self.start = offset
        view = self.view[self.used : self.used + length]
        self.used += length
        return view

    def flush(self) -> None:
        """Hand the staged bytes to the writing thread and stage into the other buffer."""
        runs = list(self.data_runs())
        self._wait()
        if runs:
            self.writing = self.pool.submit(_write_runs, self.fd, self.view, self.start, runs)
            self.view, self.spare = self.spare, self.view
            self.buf = self.view.obj
        self.used = 0

    def _wait(self) -> None:
        """Wait for the write in progress; its error, if any, is raised here."""
        writing, self.writing = self.writing, None
        if writing is not None:
            writing.result()

    def data_runs(self) -> Iterator[tuple[int, int]]:
        """(begin, end) of each run of staged bytes to write: all but the all-zero blocks
        (and all-zero pieces of blocks at either end of the staged range)."""
        buf, used = self.buf, self.used
        head = min(used, -self.start % ZERO_BLOCK)  # before the first whole block
        tail = head + (used - head) // ZERO_BLOCK * ZERO_BLOCK  # after the last whole block
        data = head if head and buf.startswith(_ZEROS[:head]) else 0  # where the run begins
        # Only a block whose first byte is zero can be all zeros: those bytes, sampled by a
        # strided copy at C speed, point at the few blocks worth comparing.
        firsts = buf[head:tail:ZERO_BLOCK]
        i = firsts.find(0)
        while i >= 0:
            hole = head + i * ZERO_BLOCK
            if not buf.startswith(_ZEROS, hole):
                i = firsts.find(0, i + 1)
                continue
            pos = hole + ZERO_BLOCK
            while pos + _WIDE_ZERO <= tail and buf.startswith(_WIDE_ZEROS, pos):
                pos += _WIDE_ZERO
            while pos < tail and buf.startswith(_ZEROS, pos):
                pos += ZERO_BLOCK
            if hole > data:
                yield data, hole
            data = pos
            i = firsts.find(0, (pos - head) // ZERO_BLOCK)
        end = tail if tail < used and buf.startswith(_ZEROS[: used - tail], tail) else used
        if end > data:
            yield data, end


def _write_runs(fd: int, view: memoryview, start: int, runs: list[tuple[int, int]]) -> None:
    for begin, end in runs:
        data, offset = view[begin:end], start + begin
        while data:
            n = os.pwrite(fd, data, offset)
            data = data[n:]
            offset += n


def _words(data: bytes) -> array:
    """Big-endian 64-bit words."""
    words = array("Q")
    words.frombytes(data)
    if sys.byteorder == "little":
        words.byteswap()
    return words
