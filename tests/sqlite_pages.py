"""Reading a SQLite database file the way someone with a copy of it could: which rows share
a page of a table (or index), and where in the page each one's bytes sit.

A page lists its cells in key order, but a cell's bytes go wherever free space was when
it was written — for rows written one after another into a fresh page, from the page's
end downwards. So within a page, the byte offsets of rows can tell the order they were
written in even when their keys (random ids) do not. Enough of the file format
(https://www.sqlite.org/fileformat2.html) to walk a b-tree and read each leaf cell's
first column.
"""

from __future__ import annotations

import sqlite3
import struct
from itertools import combinations
from pathlib import Path

INTERIOR_INDEX, INTERIOR_TABLE, LEAF_INDEX, LEAF_TABLE = 2, 5, 10, 13


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        byte = data[at + k]
        if k == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + k + 1
    raise AssertionError("unreachable")


def _values(data: bytes, at: int) -> list:
    """The columns of the record starting at ``at`` (blobs as bytes)."""
    header_size, pos = _varint(data, at)
    serials = []
    while pos < at + header_size:
        serial, pos = _varint(data, pos)
        serials.append(serial)
    body, values = at + header_size, []
    sizes = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}
    for serial in serials:
        if serial in sizes:
            values.append(int.from_bytes(data[body:body + sizes[serial]], "big", signed=True))
            body += sizes[serial]
        elif serial in (0, 8, 9):
            values.append(None if serial == 0 else serial - 8)
        elif serial == 7:
            values.append(struct.unpack(">d", data[body:body + 8])[0])
            body += 8
        else:
            length = (serial - 12) // 2 if serial % 2 == 0 else (serial - 13) // 2
            values.append(bytes(data[body:body + length]))
            body += length
    return values


def leaf_cells(path: Path, name: str, column: int = 0) -> list[list[tuple[int, object]]]:
    """For each leaf page of table or index ``name``: (byte offset, key) of its cells,
    where the key is a rowid table's rowid, or else the record's ``column`` (a WITHOUT
    ROWID table's primary key is column 0; an index entry ends with its row's key: -1)."""
    with sqlite3.connect(path) as conn:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    data = Path(path).read_bytes()
    size = struct.unpack(">H", data[16:18])[0]
    size = 65536 if size == 1 else size
    leaves: list[list[tuple[int, object]]] = []
    todo = [root]
    while todo:
        number = todo.pop()
        page = data[(number - 1) * size:number * size]
        head = 100 if number == 1 else 0
        kind = page[head]
        cells = struct.unpack(">H", page[head + 3:head + 5])[0]
        interior = kind in (INTERIOR_INDEX, INTERIOR_TABLE)
        start = head + (12 if interior else 8)
        offsets = [struct.unpack(">H", page[start + 2 * k:start + 2 * k + 2])[0]
                   for k in range(cells)]
        if interior:
            todo.append(struct.unpack(">I", page[head + 8:head + 12])[0])
            todo += [struct.unpack(">I", page[o:o + 4])[0] for o in offsets]
            continue
        found = []
        for offset in offsets:
            _, pos = _varint(page, offset)  # payload size
            if kind == LEAF_TABLE:
                rowid, pos = _varint(page, pos)
                found.append((offset, rowid))
            else:
                found.append((offset, _values(page, pos)[column]))
        leaves.append(found)
    return leaves


def written_in_order(leaves, order: dict) -> tuple[float, int]:
    """Of the pairs of rows sharing a page, the share whose bytes lie as rows written one
    after another would (the earlier one nearer the page's end), and how many pairs.
    ``order`` maps a key to when its row arrived; keys it lacks are skipped. About 0.5
    means the layout says nothing of the order."""
    agree = pairs = 0
    for cells in leaves:
        known = [(offset, order[key]) for offset, key in cells if key in order]
        for (o1, t1), (o2, t2) in combinations(known, 2):
            pairs += 1
            agree += (t1 < t2) == (o1 > o2)
    return (agree / pairs if pairs else 0.5), pairs
