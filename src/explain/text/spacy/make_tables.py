"""Writes tables.json.gz: the tokenizer data of spaCy's blank pipelines, which driftwatch's
text units are made from (src/explain/text/tokenizer.rs runs spaCy's algorithm over them).

    python3 -m venv /tmp/spacy && /tmp/spacy/bin/pip install spacy==3.8.18
    /tmp/spacy/bin/python src/explain/text/spacy/make_tables.py

Per language: the prefix, suffix and infix expressions, token_match and url_match (Python
`re` source and flags), the special cases (`rules`: text -> the texts of its tokens), and the
special cases spaCy's second pass (the PhraseMatcher) looks for, with the token texts they
match. Plus the Sentencizer's default punctuation. Expressions are pooled (languages share them).
"""
import gzip
import json
import sys

import spacy
from spacy.attrs import ORTH
from spacy.pipeline.sentencizer import Sentencizer
from spacy.tokenizer import Tokenizer

# Clarify's TextConfig languages (SDK _SUPPORTED_LANGUAGES), by spaCy code.
CODES = (
    "zh da nl en fr de el it ja lt xx nb pl pt ro ru es af sq ar hy eu bn bg ca hr cs et fi gu "
    "he hi hu is id ga kn ky lv lij lb mk ml mr ne fa sa sr tn si sk sl sv tl ta tt te th tr uk "
    "ur vi yo"
).split()


def main(out):
    pool, index = [], {}

    def pooled(compiled):
        if compiled is None:
            return None
        regex = compiled.__self__
        key = (regex.pattern, regex.flags)
        if key not in index:
            index[key] = len(pool)
            pool.append({"pattern": regex.pattern, "ignore_case": bool(regex.flags & 2)})
        return index[key]

    languages = {}
    for code in CODES:
        try:
            nlp = spacy.blank(code)
        except ImportError as err:  # ja, th, vi need dictionary segmenters
            languages[code] = {"unsupported": str(err).split("\n")[0]}
            continue
        tok = nlp.tokenizer
        if type(tok) is not Tokenizer:
            languages[code] = {"segmenter": type(tok).__name__ + ":" + str(getattr(tok, "segmenter", ""))}
            continue
        rules = {k: [piece[ORTH] for piece in v] for k, v in tok.rules.items()}
        bare = Tokenizer(
            nlp.vocab,
            rules=None,
            prefix_search=tok.prefix_search,
            suffix_search=tok.suffix_search,
            infix_finditer=tok.infix_finditer,
            token_match=tok.token_match,
            url_match=tok.url_match,
        )
        matcher = {}
        for key in sorted(rules):
            if (
                not tok.faster_heuristics
                or bare.find_prefix(key)
                or bare.find_infix(key)
                or bare.find_suffix(key)
                or " " in key
            ):
                matcher[key] = [t.text for t in bare(key)]
        languages[code] = {
            "prefix": pooled(tok.prefix_search),
            "suffix": pooled(tok.suffix_search),
            "infix": pooled(tok.infix_finditer),
            "token_match": pooled(tok.token_match),
            "url_match": pooled(tok.url_match),
            "rules": rules,
            "matcher": matcher,
        }
    doc = {
        "spacy": spacy.__version__,
        "python": sys.version.split()[0],
        "punct_chars": sorted(Sentencizer.default_punct_chars),
        "patterns": pool,
        "languages": languages,
    }
    data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
    with open(out, "wb") as f:
        f.write(gzip.compress(data, mtime=0))
    print(f"{out}: {len(languages)} languages, {len(pool)} expressions, {len(data)} bytes")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else __file__.rsplit("/", 1)[0] + "/tables.json.gz")
