"""`qzoo tokenize` must produce exactly the ids of Hugging Face `tokenizers` for the same
tokenizer.json, on real sentences (both shipped corpora, 2048 lines) and on as many variants
of them with characters that exercise every normalisation rule: accents and combining marks
(including marks newer than the Unicode 8.0 tables `tokenizers` uses), CJK, Hangul, kana,
other scripts, emoji and ZWJ sequences, control/format/private-use characters, exotic
whitespace, Unicode punctuation, special tokens in the text, and over-long words.
"""
import json
import random

import pytest
from tokenizers import Tokenizer

from models_support import CALIBRATION_TEXT, EVALUATION_TEXT, read_lines, run_qzoo

INSERTIONS = [
    "café", "naïve", "Zürich", "São Paulo", "Ångström", "façade", "İstanbul", "Straße", "e\u0301", "a\u0308o",
    "x\u1ab0y", "x\u1df6y", "x\u08d4y", "Crème Brûlée", "東京は日本の首都です", "我爱北京天安门", "안녕하세요",
    "がぎぐげご", "Αθήνα", "Москва", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "ＡＢＣ１２３", "ﬁne", "😀", "🥺", "👍🏽",
    "👨\u200d👩\u200d👧", "🇫🇷", "zero\u200bwidth", "\ufeffbom", "bell\x07", "del\x7f", "soft\u00adhyphen",
    "private\ue000use", "nul\x00byte", "repl\ufffdchar", "nbsp\u00a0space", "ideo\u3000space", "thin\u2009space",
    "tab\there", "line\u2028sep", "“quoted”", "em—dash", "ellipsis…", "«guillemets»", "¿Qué?", "¡Hola!", "§12",
    "¶", "a·b", "‽", "⁂", "x\u2e43y", "x\u166dy", "x\u111c9y", "∑≤≥", "$5", "€10", "£3", "20°C", "½", "x²",
    "3.14", "1,000,000", "2024-01-01", "[MASK]", "[SEP]", "text[CLS]text", "[UNK]", "[mask]", "[PAD]",
    "a" * 100, "b" * 101, "supercalifragilisticexpialidocious", "ÉCOLE", "ǅungla", "ΣΊΣΥΦΟΣ", "ﬀ", "Ⅻ",
    "\u0130\u0307", "q\u0307\u0323", "K\u212a", "ǰ", "ŉ", "ᾼ", "mixedÇASÉ", "don't", "e-mail", "C++", "@user",
    "#hashtag", "<tag>", "a/b\\c", "~tilde", "`tick`", "^caret", "|pipe|", "{brace}",
]


def sentences():
    real = read_lines(CALIBRATION_TEXT) + read_lines(EVALUATION_TEXT)
    rng = random.Random(5)
    variants = []
    for sentence in real:
        words = sentence.split(" ")
        for _ in range(rng.randint(1, 3)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(INSERTIONS))
        variant = " ".join(words)
        variants.append(variant.upper() if rng.random() < 0.1 else variant)
    return real + variants


@pytest.mark.parametrize("max_length", [512, 16])
def test_ids_match_hugging_face(model_dir, tmp_path, max_length):
    texts = sentences()
    assert len(texts) >= 4000
    data = tmp_path / "sentences.txt"
    data.write_bytes(("\n".join(texts) + "\n").encode("utf-8"))
    ours = [json.loads(line) for line in run_qzoo("tokenize", model_dir, "--data", data, "--max-length", max_length).splitlines()]
    reference = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    reference.no_padding()
    reference.enable_truncation(max_length)
    theirs = [encoding.ids for encoding in reference.encode_batch(texts)]
    assert len(ours) == len(theirs)
    mismatches = [(text, a, b) for text, a, b in zip(texts, ours, theirs) if a != b]
    assert not mismatches, f"{len(mismatches)} of {len(texts)} differ; first: {mismatches[0]!r}"
