#!/usr/bin/env python3
"""Writes tests/fixtures/fashion_png/: 30 images of each Fashion-MNIST class from the 1k test fixture, as 28x28
grayscale PNGs in class folders named after the classes, with a classes.txt giving Fashion-MNIST's label order (the
order the fixture networks were trained with; without it, classes would be sorted by name). Standard library only."""
import gzip
import pathlib
import struct
import zlib

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
PER_CLASS = 30
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"


def png(width, height, pixels):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + pixels[y * width:(y + 1) * width] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def main():
    images = gzip.open(FIXTURES / "fashion_test_1k-images-idx3-ubyte.gz").read()[16:]
    labels = gzip.open(FIXTURES / "fashion_test_1k-labels-idx1-ubyte.gz").read()[8:]
    target = FIXTURES / "fashion_png"
    (target).mkdir(exist_ok=True)
    (target / "classes.txt").write_text("\n".join(CLASSES) + "\n")
    written = [0] * len(CLASSES)
    for index, label in enumerate(labels):
        if written[label] == PER_CLASS:
            continue
        folder = target / CLASSES[label]
        folder.mkdir(exist_ok=True)
        (folder / f"{index:04d}.png").write_bytes(png(28, 28, images[index * 784:(index + 1) * 784]))
        written[label] += 1
    print(f"{target}: {sum(written)} images in {len(CLASSES)} class folders")


if __name__ == "__main__":
    main()
