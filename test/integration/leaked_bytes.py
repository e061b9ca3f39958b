#!/usr/bin/env python3
"""Whether a recorded stream shows a file: prints how many times it holds the file's NAME, and
how many distinct 16-byte stretches of the file it holds.

    leaked_bytes.py FILE NAME RECORD   ->   "name N" and "stretches M"

A 16-byte stretch of the file in the record contains an 8-byte word of the file at an offset that
is a multiple of 8; those words are indexed, and each hit is checked on all 16 bytes.
"""
import sys


def main():
    path, name, record_path = sys.argv[1:4]
    data = open(path, "rb").read()
    record = open(record_path, "rb").read()
    words = {}
    for offset in range(0, len(data) - 7, 8):
        words.setdefault(data[offset:offset + 8], offset)
    stretches = set()
    for at in range(len(record) - 7):
        offset = words.get(record[at:at + 8])
        if offset is None:
            continue
        # The word may sit anywhere in the first 9 bytes of the stretch: try each start.
        for back in range(0, 9):
            start, file_start = at - back, offset - back
            if start < 0 or file_start < 0 or file_start + 16 > len(data) or start + 16 > len(record):
                continue
            if record[start:start + 16] == data[file_start:file_start + 16]:
                stretches.add(file_start)
                break
    print("name", record.count(name.encode()))
    print("stretches", len(stretches))


if __name__ == "__main__":
    main()
