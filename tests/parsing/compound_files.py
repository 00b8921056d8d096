"""Small OLE2 compound files built in memory for the tests: a .doc, a .ppt and a .msg.

`compound_file` writes version-3 compound files (512-byte sectors; streams under 4096 bytes in the mini
stream of 64-byte sectors, as the format requires); a path with "/" makes storages (as in
"__attach_version1.0_#00000000/__substg1.0_3707001F"). Siblings are chained through their right pointers.
Readers checked: olefile, antiword, catdoc and catppt.
"""

from __future__ import annotations

import struct

END, FREE, FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
_STORAGE, _STREAM, _ROOT = 1, 2, 5


def _entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00" if name else b""
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBBIII", len(encoded), kind, 1, FREE, right, child)
        + bytes(16 + 4 + 16)  # class id, state bits, creation and modification times
        + struct.pack("<IQ", start, size)
    )


def compound_file(streams: dict[str, bytes]) -> bytes:
    children: dict[str, list[str]] = {"": []}
    for path in streams:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            storage = "/".join(parts[:depth])
            if storage not in children:
                children[storage] = []
                children["/".join(parts[: depth - 1])].append(storage)
        children["/".join(parts[:-1])].append(path)
    order = [""] + [path for storage in children for path in children[storage]]
    index = {path: i for i, path in enumerate(order)}

    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        """Store `data` in whole sectors; its first sector number."""
        data += bytes(-len(data) % 512)
        first, count = len(sectors), len(data) // 512
        for i in range(count):
            sectors.append(data[i * 512 : (i + 1) * 512])
            fat.append(first + i + 1 if i < count - 1 else END)
        return first if count else END

    starts: dict[str, tuple[int, int]] = {}
    mini, mini_fat = bytearray(), []
    for path, data in streams.items():
        if len(data) >= 4096:
            starts[path] = (chain(data), len(data))
            continue
        first, count = len(mini) // 64, -(-len(data) // 64)
        mini += data + bytes(count * 64 - len(data))
        mini_fat += [first + i + 1 if i < count - 1 else END for i in range(count)]
        starts[path] = (first if count else END, len(data))
    starts[""] = (chain(bytes(mini)), len(mini))  # the root entry holds the mini stream
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat) if mini_fat else b""
    mini_fat_start = chain(mini_fat_bytes + struct.pack("<I", FREE) * (-len(mini_fat) % 128))
    mini_fat_count = -(-len(mini_fat) // 128)

    entries = []
    for path in order:
        siblings = children["/".join(path.split("/")[:-1])] if path else [""]
        position = siblings.index(path)
        right = index[siblings[position + 1]] if position + 1 < len(siblings) else FREE
        child = index[children[path][0]] if children.get(path) else FREE
        name = path.split("/")[-1] if path else "Root Entry"
        kind = _ROOT if not path else _STORAGE if path in children else _STREAM
        start, size = starts.get(path, (END, 0))
        entries.append(_entry(name, kind, child, right, start, size))
    while len(entries) % 4:
        entries.append(_entry("", 0, FREE, FREE, 0, 0))
    directory = b"".join(entries)
    directory_start, directory_count = len(sectors), len(directory) // 512
    for i in range(directory_count):
        sectors.append(directory[i * 512 : (i + 1) * 512])
        fat.append(directory_start + i + 1 if i < directory_count - 1 else END)

    fat_count = 1
    while len(fat) + fat_count > fat_count * 128:
        fat_count += 1
    fat_start = len(sectors)
    fat += [FAT_SECTOR] * fat_count
    fat += [FREE] * (fat_count * 128 - len(fat))
    table = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [table[i * 512 : (i + 1) * 512] for i in range(fat_count)]
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, fat_count, directory_start, 0, 4096, mini_fat_start, mini_fat_count, END, 0)
        + struct.pack("<109I", *([fat_start + i for i in range(fat_count)] + [FREE] * (109 - fat_count)))
    )
    return header + b"".join(sectors)


def word97(text: str) -> bytes:
    """A Word 97 .doc: the FIB, the text as UTF-16 at offset 1024, a one-piece piece table in 1Table."""
    body = text.replace("\n", "\r").removesuffix("\r") + "\r"
    encoded = body.encode("utf-16-le")
    fc_text = 1024
    flags = 0x0200 | 0x1000  # fWhichTblStm (1Table), fExtChar
    base = struct.pack(
        "<HHHHHHHIBBHHII",
        0xA5EC,
        0x00C1,
        0,
        0x0804,
        0,
        flags,
        0x00BF,
        0,
        0,
        0,
        0,
        0,
        fc_text,
        fc_text + len(encoded),
    )
    longs = [0] * 22
    longs[0], longs[3] = fc_text + len(encoded), len(body)  # cbMac, ccpText
    clx = (
        b"\x02"
        + struct.pack("<I", 20)
        + struct.pack("<II", 0, len(body))
        + struct.pack("<HIH", 0, fc_text, 0)
    )
    # a stylesheet of one empty style (STSHI of 18 bytes, then cbStd = 0): antiword reads past a missing one
    stylesheet = struct.pack("<H9H", 18, 1, 10, 0, 0, 0, 0, 0, 0, 0) + struct.pack("<H", 0)
    pairs = [0] * (93 * 2)
    pairs[33 * 2 + 1] = len(clx)  # fcClx = 0, lcbClx
    pairs[0:4] = [len(clx), len(stylesheet)] * 2  # fcStshfOrig/lcbStshfOrig and fcStshf/lcbStshf
    fib = (
        base
        + struct.pack("<H", 14)
        + bytes(28)
        + struct.pack("<H", 22)
        + struct.pack("<22I", *longs)
        + struct.pack("<H", 93)
        + struct.pack(f"<{93 * 2}I", *pairs)
        + struct.pack("<H", 0)
    )
    word = fib + bytes(fc_text - len(fib)) + encoded
    # Word's own streams are never this small; antiword reads neither from the mini stream ("text stream
    # too small"), so both are padded into ordinary sectors
    return compound_file(
        {"WordDocument": word.ljust(4096, b"\0"), "1Table": (clx + stylesheet).ljust(4096, b"\0")}
    )


def _record(kind: int, payload: bytes, version: int = 0) -> bytes:
    return struct.pack("<HHI", version, kind, len(payload)) + payload


def ppt97(texts: list[str]) -> bytes:
    """A PowerPoint 97 .ppt: one SlideListWithText of TextHeaderAtom + TextCharsAtom (UTF-16) pairs."""
    atoms = b"".join(
        _record(0x0F9F, struct.pack("<I", 1)) + _record(0x0FA0, t.encode("utf-16-le")) for t in texts
    )
    document = _record(0x03E8, _record(0x0FF0, atoms, version=0xF), version=0xF)
    return compound_file({"PowerPoint Document": document, "Current User": bytes(20)})
