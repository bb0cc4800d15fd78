#!/usr/bin/env python3
"""Builds qzoo's built-in calibration corpus of mixed genres, a general-English evaluation set and
the candidate corpora the choice was made from.

The technical part is the SQLite documentation (data/calibration/sqlite-en.txt, made by
make_corpora.py, qzoo's built-in corpus until 0.4); the original held-out set is technical
prose too (Python documentation). From Debian packages whose sources are in the public domain
or whose licences allow redistribution, this script makes:

  built-in calibration corpus (embedded in qzoo):
      Sources/QZooModels/Resources/calibration-en.txt
                              1/3 SQLite docs + 1/3 Jane Austen + 1/3 World English Bible
  evaluation (held out, general English):
      data/evaluation/eval-general-en.txt   WordNet 3.0 example sentences (wordnet-base)
  the other candidates measured against it (data/calibration/):
      half-technical-en.txt   1/2 SQLite docs + 1/4 Jane Austen + 1/4 World English Bible
      general-en.txt          1/2 Jane Austen + 1/2 World English Bible (no technical text)
      sqlite-resample-en.txt  the next 1024 SQLite sentences after sqlite-en.txt (a control:
                              how much the scores move when only the sample changes)

No calibration candidate shares a source with either evaluation set, and the script checks
that no sentence appears in both. Every source goes through the same filter as
make_corpora.py (40-300 characters, capital first letter, ends with . ! or ?, mostly
letters, no URL) and is drawn in SHA-256 order. Differences, each needed by the source:
WordNet examples are lower-case fragments, so their first letter is capitalised and a full
stop is added when they end in a letter or digit; the prose sources are split with a
sentence splitter that knows honorifics (Mr. Mrs. Dr. St.) and curly quotes.

Usage: python3 data/make_general_corpora.py
  after apt-get install wordnet-base r-cran-janeaustenr sword-text-web diatheke sqlite3-doc
"""
import pathlib
import re
import subprocess
import sys

from make_corpora import COUNT, by_hash, good, ranked

ROOT = pathlib.Path(__file__).resolve().parent.parent
SQLITE = ROOT / "data/calibration/sqlite-en.txt"
BUILT_IN = ROOT / "Sources/QZooModels/Resources/calibration-en.txt"
EVALUATION = ROOT / "data/evaluation"
CALIBRATION = ROOT / "data/calibration"
WORDNET = pathlib.Path("/usr/share/wordnet")
SQLITE_DOCS = pathlib.Path("/usr/share/doc/sqlite3")
WEB_MODULE = "engWEB2015eb"
PROSE_SENTENCE_END = re.compile(
    r"(?:(?<!\bMr\.)(?<!\bMrs\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<=[.!?])|(?<=[.!?][”’\"']))\s+(?=[A-Z\"'(“‘])")


def wordnet_examples():
    """The quoted usage examples of WordNet's glosses, as sentences."""
    found = set()
    for pos in ("noun", "verb", "adj", "adv"):
        for line in (WORDNET / f"data.{pos}").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue
            for quoted in re.findall(r'"([^"]+)"', line.split("|", 1)[1]):
                text = " ".join(quoted.split())
                if not text:
                    continue
                text = text[0].upper() + text[1:]
                if text[-1].isalnum():
                    text += "."
                if good(text):
                    found.add(text)
    return by_hash(found)


def prose_sentences(paragraphs):
    found = set()
    for paragraph in paragraphs:
        text = " ".join(paragraph.split())
        found.update(s.strip() for s in PROSE_SENTENCE_END.split(text) if good(s.strip()))
    return found


def austen():
    """Jane Austen's six novels, one paragraph per blank-line-separated block (R package janeaustenr)."""
    script = "library(janeaustenr); writeLines(austen_books()$text)"
    lines = subprocess.run(["Rscript", "-e", script], check=True, capture_output=True, text=True).stdout
    paragraphs = [p.replace("_", "") for p in re.split(r"\n\s*\n", lines)]
    return by_hash(prose_sentences(paragraphs))


def world_english_bible():
    """The World English Bible, one paragraph per chapter (SWORD module read with diatheke)."""
    osis = subprocess.run(["diatheke", "-b", WEB_MODULE, "-f", "OSIS", "-k", "Genesis 1:1-Revelation 22:21"],
                          check=True, capture_output=True, text=True).stdout
    chapters, current, chapter = [], [], None
    for line in osis.splitlines():
        # diatheke prefixes some verses with a stale psalm heading: keep only what follows "c:v: ".
        reference = re.search(r"\b(\d+):\d+: ", line)
        if not reference:
            continue
        if reference.group(1) != chapter and current:
            chapters.append(" ".join(current))
            current = []
        chapter = reference.group(1)
        verse = re.sub(r"<title[^>]*>.*?</title>|<note[^>]*>.*?</note>", " ", line[reference.end():])
        current.append(re.sub(r"<[^>]+>", "", verse.replace("</w><w", "</w> <w")))
    chapters.append(" ".join(current))
    return by_hash(prose_sentences(chapters))


def mix(parts):
    """The first n sentences of each ranked source, together in by_hash order."""
    chosen = [s for source, n in parts for s in source[:n]]
    if len(set(chosen)) != COUNT:
        sys.exit(f"a mix has {len(set(chosen))} distinct sentences, expected {COUNT}")
    return by_hash(chosen)


def write(path, chosen):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(chosen)} sentences")


def main():
    for needed in (WORDNET, SQLITE_DOCS):
        if not needed.is_dir():
            sys.exit(f"{needed} is missing: see this script's usage line")
    technical = SQLITE.read_text(encoding="utf-8").splitlines()
    sqlite = ranked(SQLITE_DOCS)
    if sqlite[:COUNT] != technical:
        sys.exit("the SQLite documentation installed is not the one data/calibration/sqlite-en.txt was made from")
    novels, bible = austen(), world_english_bible()
    third = COUNT // 3
    corpora = {
        EVALUATION / "eval-general-en.txt": wordnet_examples()[:COUNT],
        BUILT_IN: mix([(technical, COUNT - 2 * third), (novels, third), (bible, third)]),
        CALIBRATION / "half-technical-en.txt": mix([(technical, COUNT // 2), (novels, COUNT // 4), (bible, COUNT // 4)]),
        CALIBRATION / "general-en.txt": mix([(novels, COUNT // 2), (bible, COUNT // 2)]),
        CALIBRATION / "sqlite-resample-en.txt": sqlite[COUNT:2 * COUNT],
    }
    held_out = set(corpora[EVALUATION / "eval-general-en.txt"]) | set(
        (EVALUATION / "eval-en.txt").read_text(encoding="utf-8").splitlines())
    for path, chosen in corpora.items():
        if len(chosen) != COUNT:
            sys.exit(f"{path.name}: only {len(chosen)} sentences")
        if path.parent != EVALUATION and held_out.intersection(chosen):
            sys.exit(f"{path.name} shares a sentence with an evaluation set")
        write(path, chosen)


if __name__ == "__main__":
    main()
