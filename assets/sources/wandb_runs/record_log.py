"""Read the client's binary record log (``run-<id>.wandb``).

Layout, as written by wandb 0.31 (checked against real files in the tests):

* a 7-byte header: ``:W&B``, the magic 0xBEE1 (little-endian: ``e1 be``), version byte 0;
* then a LevelDB-style log of 32 KiB blocks, counted from the start of the file (header
  included). Each chunk has a 7-byte header: checksum (uint32 LE), length (uint16 LE), type
  (1 full, 2 first, 3 middle, 4 last); a block tail shorter than 7 bytes is zero padding.
* The checksum is a plain IEEE CRC-32 (``zlib.crc32``) of the type byte and the payload,
  **unmasked** -- not LevelDB's masked CRC-32C, whatever the format's docs suggest.
* Each reassembled payload is a ``wandb_internal_pb2.Record``; the client's own classes decode it.

On damage (bad checksum, impossible length or type, undecodable protobuf) the rest of the block
is dropped and reading resumes at the next block, as LevelDB's reader does; a file that ends in
the middle of a chunk or record is truncated. Either way the records read so far are kept and
every problem is reported in :attr:`LogRead.damage`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from wandb.proto.wandb_internal_pb2 import Record

MAGIC = b":W&B\xe1\xbe"
VERSION = 0
FILE_HEADER_LEN = 7
BLOCK_LEN = 32 * 1024
CHUNK_HEADER_LEN = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


class NotARecordLog(ValueError):
    pass


@dataclass
class LogRead:
    """Iterate :meth:`records` once; afterwards ``damage`` lists what could not be read."""

    path: Path
    damage: list[str] = field(default_factory=list)
    count: int = 0  # records decoded

    def records(self) -> Iterator[Record]:
        # Why here: importing the client costs about a second; only pay it when a log is read.
        from google.protobuf.message import DecodeError
        from wandb.proto.wandb_internal_pb2 import Record

        for offset, payload in self._payloads():
            record = Record()
            try:
                record.ParseFromString(payload)
            except DecodeError as e:
                self.damage.append(f"record at byte {offset}: not a Record ({e})")
                continue
            self.count += 1
            yield record

    def _payloads(self) -> Iterator[tuple[int, bytes]]:
        with open(self.path, "rb") as f:
            header = f.read(FILE_HEADER_LEN)
            if len(header) < FILE_HEADER_LEN or header[:6] != MAGIC:
                raise NotARecordLog(f"{self.path.name}: not a W&B record log (header {header[:7]!r})")
            if header[6] != VERSION:
                raise NotARecordLog(f"{self.path.name}: unsupported log version {header[6]}")
            yield from self._reassemble(f)

    def _reassemble(self, f: BinaryIO) -> Iterator[tuple[int, bytes]]:
        pos = FILE_HEADER_LEN
        parts: list[bytes] = []
        start = 0  # offset of the chunk that began the record being reassembled
        resynced = False  # just skipped a damaged block: its record's tail is no new damage
        while True:
            left = BLOCK_LEN - pos % BLOCK_LEN
            if left < CHUNK_HEADER_LEN:
                pad = f.read(left)
                pos += len(pad)
                if len(pad) < left:
                    break  # the file ends inside the padding: nothing is missing
                continue
            head = f.read(CHUNK_HEADER_LEN)
            if not head:
                break
            if len(head) < CHUNK_HEADER_LEN:
                self.damage.append(f"truncated: the file ends inside a chunk header at byte {pos}")
                return
            crc, length, kind = struct.unpack("<IHB", head)
            if length > left - CHUNK_HEADER_LEN or kind not in (FULL, FIRST, MIDDLE, LAST):
                self.damage.append(f"chunk at byte {pos}: impossible header (length {length}, type {kind})")
                pos, parts, resynced = self._skip_block(f, pos), [], True
                continue
            data = f.read(length)
            if len(data) < length:
                self.damage.append(f"truncated: chunk at byte {pos} has {len(data)} of {length} bytes")
                return
            if zlib.crc32(bytes([kind]) + data) != crc:
                self.damage.append(f"chunk at byte {pos}: checksum mismatch")
                pos, parts, resynced = self._skip_block(f, pos), [], True
                continue
            here, pos = pos, pos + CHUNK_HEADER_LEN + length
            after_resync, resynced = resynced, False
            if kind == FULL:
                if parts:
                    self.damage.append(f"record at byte {start}: unfinished, dropped")
                parts = []
                yield here, data
            elif kind == FIRST:
                if parts:
                    self.damage.append(f"record at byte {start}: unfinished, dropped")
                parts, start = [data], here
            elif not parts:
                # MIDDLE/LAST without a FIRST: the tail of a record lost to earlier damage.
                if not after_resync:
                    self.damage.append(f"chunk at byte {here}: continuation without a start, dropped")
                continue
            elif kind == MIDDLE:
                parts.append(data)
            else:
                parts.append(data)
                yield start, b"".join(parts)
                parts = []
        if parts:
            self.damage.append(f"truncated: the file ends inside the record starting at byte {start}")

    @staticmethod
    def _skip_block(f: BinaryIO, pos: int) -> int:
        """Resynchronise at the next block: inside a damaged block no length can be trusted."""
        nxt = (pos // BLOCK_LEN + 1) * BLOCK_LEN
        f.seek(nxt)
        return nxt
