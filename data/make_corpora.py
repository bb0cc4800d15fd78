#!/usr/bin/env python3
"""Builds qzoo's text corpora from documentation shipped in Debian packages.

  calibration (embedded in qzoo): 1024 sentences of the SQLite documentation
      (Debian package sqlite3-doc; public domain)
  evaluation (held out):          1024 sentences of the Python 3 documentation
      (Debian package python3-doc; PSF License Version 2)

The two sources share no text, so quality measured on the evaluation set is never measured
on the data a quantizer calibrated on. Sentences come from <p> elements only (no code, tables
or navigation), are 40-300 characters long, start with a capital letter and end with . ! or ?.
The selection is deterministic: candidates are ordered by the SHA-256 of their text.

Usage: python3 data/make_corpora.py   (after apt-get install sqlite3-doc python3-doc)
"""
import hashlib
import html.parser
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOURCES = {
    "calibration": (pathlib.Path("/usr/share/doc/sqlite3"), ROOT / "data/calibration/sqlite-en.txt"),
    "evaluation": (pathlib.Path("/usr/share/doc/python3-doc/html"), ROOT / "data/evaluation/eval-en.txt"),
}
COUNT = 1024
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


class ParagraphText(html.parser.HTMLParser):
    """Collects the text of <p> elements, skipping code inside them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs, self.depth, self.skip, self.current = [], 0, 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.depth += 1
        elif tag in ("pre", "script", "style", "table"):
            self.skip += 1

    def handle_endtag(self, tag):
        if tag == "p" and self.depth:
            self.depth -= 1
            if not self.depth:
                self.paragraphs.append(" ".join("".join(self.current).split()))
                self.current = []
        elif tag in ("pre", "script", "style", "table") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.current.append(data)


def good(sentence):
    if not 40 <= len(sentence) <= 300 or not sentence[0].isupper() or sentence[-1] not in ".!?":
        return False
    letters = sum(c.isalpha() or c == " " for c in sentence)
    return letters / len(sentence) > 0.85 and "http" not in sentence and "\t" not in sentence


def by_hash(found):
    """The deterministic order every corpus is drawn in: SHA-256 of the sentence text."""
    return sorted(found, key=lambda s: hashlib.sha256(s.encode()).hexdigest())


def ranked(directory):
    """Every good sentence of the <p> text under directory, in by_hash order."""
    found = set()
    for path in sorted(directory.rglob("*.html")):
        parser = ParagraphText()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        for paragraph in parser.paragraphs:
            found.update(s.strip() for s in SENTENCE_END.split(paragraph) if good(s.strip()))
    return by_hash(found)


def sentences(directory):
    return ranked(directory)[:COUNT]


def main():
    for name, (source, target) in SOURCES.items():
        if not source.is_dir():
            sys.exit(f"{source} is missing: apt-get install sqlite3-doc python3-doc")
        chosen = sentences(source)
        target.write_text("\n".join(chosen) + "\n", encoding="utf-8")
        print(f"{name}: {len(chosen)} sentences -> {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
