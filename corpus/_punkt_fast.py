"""Punkt sentence counting without PunktToken objects: the same decisions, a fraction of the work.

`FastPunktCounter(params, lang_vars).count(text, limit)` returns
`min(limit, len(PunktSentenceTokenizer(params).tokenize(text)))` (nltk 3.10.0) for every str and
every limit >= 1, reading the parameter tables it is given (abbreviations, collocations,
sentence starters, orthographic contexts; nothing English is built in). It is a
reimplementation of what nltk's `span_tokenize` computes, step by step, and why each step is
exact:

1. Candidates (`_match_potential_end_contexts`). nltk's `period_context_re` (from `lang_vars`)
   matches every ".", "?", "!" followed by a non-word character or by whitespace and a next
   token T. We run it as is from the first "?" or "!" on; before that (and in texts without
   them) we run the same regex with "." as the only end character, which matches at exactly the
   same "." positions (a match is one character plus a lookahead) but scans faster (a literal
   first character). A candidate's word part W starts after the last *ASCII*
   whitespace (`string.whitespace`) since the previous candidate's end character; with none,
   where the previous word part started (for the first candidate: at 0, which reproduces
   nltk's quirk of treating ASCII whitespace at index 0 as none). The previous candidate is
   dropped when the new word part starts before the previous end character (as in
   "acting!!! I": no ASCII whitespace in between and a non-empty previous word part). A
   candidate whose word part is empty, or whose next character is ASCII whitespace, cannot be
   dropped and is decided at once; any other waits for the next candidate, as in nltk. (The
   word start is first taken after the last " " or "\\n"; "\\t\\r\\x0b\\x0c" are looked for
   where no " " or "\\n" was found, before a candidate waits, and when the word part holds
   whitespace: elsewhere they cannot change the outcome.)
2. Breaks (`text_contains_sentbreak` on the context W + end character + after-token). A context
   breaks iff one of its tokens other than the last is a final `sentbreak` after Punkt's two
   passes. Tokens come from nltk's word-tokenizer regex, per "\\n"-separated line, as in
   `_tokenize_words` (line and paragraph starts only matter for training). Both passes look at a
   token and its successor only, so each adjacent pair is decided on its own: tokens other
   than "?"/"!" break only if period-final; the first pass makes a period-final token an
   ellipsis, an abbreviation (`abbrev_types`, also after its last "-") or a break; the second
   pass (`_second_pass_annotation`) applies, in nltk's order, the collocation rule, the
   abbreviation/ellipsis + orthographic-or-starter rule, and the initial/number + orthographic
   rule with its always-capitalised special case, reading of the successor its type without
   sentence period, case, `ortho_context` flags (missing = 0, as nltk's defaultdict) and the
   orthographic heuristic (`_ortho_heuristic`). What a token contributes is cached by string:
   as a predecessor (or True when it breaks whatever follows: a first-pass break that is no
   initial, no number and no collocation's first type) and as a successor.

   Shortcuts, each exact:
     * A "?" or "!" candidate always breaks: its end character is a token of its own (word
       tokens stop before these non-word characters, and one starting on it stops at once, the
       after-token beginning with whitespace or a non-word character), a first-pass break the
       second pass never touches, and the after-token adds a token after it.
     * For a "." candidate whose W holds no whitespace (`\\s`), the context's tokens are those
       of the head W + "." followed by those of T (or of the one non-word character): no token
       or lookahead of the word regex reaches across that boundary (only the spaced ellipsis
       ". . ." spans whitespace, and it would need whitespace after T, where the context ends).
       So the context breaks iff the head breaks inside, or its last token breaks before T's
       first, or T breaks inside; heads and T's are summarised once and cached by string. An
       alphanumeric W (or T) is one token: no character of it stops or splits a word; for such
       a head the type is `W.lower()` (lower-casing treats no character differently for the
       period after it) and it is a number iff W is all decimal digits (`\\d` is category Nd).
     * Any other context (W holding Unicode whitespace such as U+00A0, or starting with the
       ASCII whitespace of nltk's index-0 quirk) is tokenised whole, line by line, with the
       same pair rules (`context_breaks`).
3. Sentences (`_slices_from_text`, `_realign_boundaries`). With n kept breaks the slices are
   [0, e0), [b1, e1), ..., [bn, len(text.rstrip())), where ei ends break i's end character and
   bi is where the next sentence starts (T's start, or right after the end character).
   Realignment only moves a slice's start past a run of closing characters `"')]}` and the
   whitespace after it, which cannot reach the end character that ends every slice but the
   last; so the first n slices are all yielded, and the last one iff it does not become empty,
   i.e. iff text[bn:] is not closing characters and trailing whitespace only. Hence the count
   is n, plus one unless that tail is all closers, or with n = 0 one sentence for a text with a
   non-whitespace character (else none); counting stops once `limit` breaks are found. (`\\s`,
   `str.isspace` and `str.strip` agree on every code point.)

There is no nltk fallback inside `count`: every text takes the paths above, and the tests check
them against nltk on real pages, per candidate and on generated text. nltk itself only runs
where the configuration differs from the one this was derived from (`supports`: nltk 3.10.0, a
plain `PunktSentenceTokenizer` or `PunktTokenizer` with the default `PunktLanguageVars` and
`PunktToken`, and an `ortho_context` that is a `defaultdict(int)`); `SentenceCounter` then
keeps nltk's own `span_tokenize`. The parameters must not change after a counter is built
(results are cached; every cache is bounded).
"""

from __future__ import annotations

import re
from collections import defaultdict

NLTK_VERSION = "3.10.0"

# Orthographic context flags (Kiss & Strunk; the values nltk stores in ortho_context.tab).
_BEG_UC, _MID_UC, _UNK_UC = 1 << 1, 1 << 2, 1 << 3
_BEG_LC, _MID_LC, _UNK_LC = 1 << 4, 1 << 5, 1 << 6
_UC = _BEG_UC | _MID_UC | _UNK_UC
_LC = _BEG_LC | _MID_LC | _UNK_LC

_NUMBER_TYPE = "##number##"
_NUMERIC_RE = re.compile(r"^-?[\.,]?\d[\d,\.-]*\.?$")
_ELLIPSIS_RE = re.compile(r"\.\.+$")
_INITIAL_RE = re.compile(r"[^\W\d]\.$")
_PUNCTUATION = frozenset(";:,.!?")  # tokens that never start a sentence
_SENT_END_TOKENS = frozenset(".?!")
_ASCII_WS = frozenset(" \t\n\r\x0b\x0c")  # string.whitespace
_ANY_WS_RE = re.compile(r"\s")
_CLOSERS_TAIL_RE = re.compile(r"[\"')\]}]+\s*\Z")
_CACHE_MAX = 1 << 16
_MISSING = object()
_WHOLE = object()  # head cache value: the head holds whitespace, tokenise the whole context


def supports(tokenizer) -> bool:
    """Whether `FastPunktCounter` reproduces this tokenizer (the configuration it was derived
    from and is tested against)."""
    import nltk
    from nltk.tokenize import punkt

    params = getattr(tokenizer, "_params", None)
    ortho = getattr(params, "ortho_context", None)
    return (
        nltk.__version__ == NLTK_VERSION
        # PunktTokenizer only adds loading and saving of the tables.
        and type(tokenizer) in (punkt.PunktSentenceTokenizer, punkt.PunktTokenizer)
        and type(tokenizer._lang_vars) is punkt.PunktLanguageVars
        and tokenizer._Token is punkt.PunktToken
        and isinstance(ortho, defaultdict)
        and ortho.default_factory is int
        and all(hasattr(params, a) for a in ("abbrev_types", "collocations", "sent_starters"))
    )


def _rare_ws(text: str, lo: int, s: int, k: int) -> int:
    """The last ASCII whitespace in text[lo:s], given k, the last " " or "\\n" there (or -1)."""
    for ch in "\t\r\x0b\x0c":
        j = text.rfind(ch, k + 1 if k >= 0 else lo, s)
        if j > k:
            k = j
    return k


def _cache(cache: dict, key: str, value):
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


class FastPunktCounter:
    """Counts Punkt sentences up to a limit, with the decisions of nltk's tokenizer.

    Caches (bounded, by string): `_first` period-final token -> True when it breaks whatever
    follows, else (first-pass break, abbreviation or ellipsis, initial, type without period);
    `_second` token -> what the rules read of a token that follows a period-final one: (type
    without sentence period, first letter upper case, ortho_context flags, orthographic
    verdict True/False/None, frequent sentence starter); `_heads` W + "." -> True (breaks
    whatever follows), a `_first` tuple (decided with the next token), or _WHOLE; `_tails`
    T -> (`_second` of its first token, break inside T).
    """

    def __init__(self, params, lang_vars) -> None:
        self._abbrev = params.abbrev_types
        self._collocations = params.collocations
        self._collocation_firsts = frozenset(
            c[0] for c in params.collocations if isinstance(c, tuple) and len(c) == 2
        )
        self._starters = params.sent_starters
        self._ortho = params.ortho_context
        period_re = lang_vars.period_context_re()
        self._finditer = period_re.finditer
        # nltk's candidate regex with "." alone as the end character: a literal first character
        # lets the regex engine scan about twice as fast as with the class [.?!]. It finds all
        # candidates of a text without "?" and "!", and those before the first of them.
        dot_re = re.compile(
            lang_vars._period_context_fmt
            % {"NonWord": lang_vars._re_non_word_chars, "SentEndChars": re.escape(".")},
            period_re.flags,
        )
        self._dot_finditer = dot_re.finditer
        self._findall = lang_vars._word_tokenizer_re().findall
        self._first: dict[str, object] = {}
        self._second: dict[str, tuple] = {}
        self._heads: dict[str, object] = {}
        self._tails: dict[str, tuple] = {}
        self.whole_contexts = 0  # contexts tokenised whole (statistics for tests and benches)

    @classmethod
    def from_tokenizer(cls, tokenizer) -> FastPunktCounter:
        return cls(tokenizer._params, tokenizer._lang_vars)

    # --- tokens -----------------------------------------------------------------------------

    def _first_pass_break(self, tok: str) -> bool:
        """First-pass sentbreak of a token that follows a period-final one."""
        if tok in _SENT_END_TOKENS:
            return True
        if tok[-1] != "." or tok[-2] == ".":  # no period, or an ellipsis, or "a.."
            return False
        stem = tok[:-1].lower()
        return not (stem in self._abbrev or stem.split("-")[-1] in self._abbrev)

    def _first_info(self, tok: str) -> object:
        """The `_first` value of a period-final token (not cached here)."""
        if tok == ".":
            first_pass_break, abbr_or_ellipsis = True, False
        elif tok[-2] == ".":  # ellipsis ("..+"), or nothing at all ("a..")
            first_pass_break, abbr_or_ellipsis = False, _ELLIPSIS_RE.match(tok) is not None
        else:  # ends with one period: abbreviation or sentbreak
            stem = tok[:-1].lower()
            abbrev = self._abbrev
            abbr_or_ellipsis = stem in abbrev or ("-" in stem and stem.split("-")[-1] in abbrev)
            first_pass_break = not abbr_or_ellipsis
        typ = tok.lower()
        if _NUMERIC_RE.match(typ):  # anchored at both ends: .sub() replaces the whole type
            typ = _NUMBER_TYPE
        elif len(typ) > 1 and typ[-1] == ".":
            typ = typ[:-1]
        initial = len(tok) == 2 and _INITIAL_RE.match(tok) is not None
        if (
            first_pass_break
            and not initial
            and typ != _NUMBER_TYPE
            and typ not in self._collocation_firsts
        ):
            return True  # no second-pass rule can apply
        return (first_pass_break, abbr_or_ellipsis, initial, typ)

    def _second_info(self, tok: str) -> tuple:
        """The `_second` value of a token."""
        typ = _NUMERIC_RE.sub(_NUMBER_TYPE, tok.lower())
        if self._first_pass_break(tok) and len(typ) > 1 and typ[-1] == ".":
            typ = typ[:-1]
        upper = tok[0].isupper()
        flags = self._ortho.get(typ, 0)
        if tok in _PUNCTUATION:
            verdict = False
        elif upper and flags & _LC and not flags & _MID_UC:
            verdict = True
        elif tok[0].islower() and (flags & _UC or not flags & _BEG_LC):
            verdict = False
        else:
            verdict = None
        info = (typ, upper, flags, verdict, upper and typ in self._starters)
        return _cache(self._second, tok, info)

    def _decide(self, first: tuple, second: tuple) -> bool:
        """Final sentbreak of a period-final token followed by another (second pass)."""
        first_pass_break, abbr_or_ellipsis, initial, typ = first
        next_typ, upper, flags, verdict, starter = second
        if (typ, next_typ) in self._collocations:
            return False
        if abbr_or_ellipsis and not initial and (verdict is True or starter):
            return True
        if initial or typ == _NUMBER_TYPE:
            if verdict is False:
                return False
            if verdict is None and initial and upper and not flags & _LC:
                return False
        return first_pass_break

    def _pair_breaks(self, tok1: str, tok2: str) -> bool:
        """Final sentbreak of token `tok1` followed by token `tok2`."""
        if tok1[-1] != ".":
            return tok1 == "?" or tok1 == "!"
        first = self._first.get(tok1) or _cache(self._first, tok1, self._first_info(tok1))
        if first is True:
            return True
        return self._decide(first, self._second.get(tok2) or self._second_info(tok2))

    def tokens_break(self, toks: list[str]) -> bool:
        """Whether any token but the last is a final sentbreak."""
        pair_breaks = self._pair_breaks
        return any(pair_breaks(toks[j], toks[j + 1]) for j in range(len(toks) - 1))

    # --- contexts ---------------------------------------------------------------------------

    def context_breaks(self, context: str) -> bool:
        """nltk's `text_contains_sentbreak(context)`, tokenising the whole context."""
        findall = self._findall
        toks = []
        for line in context.split("\n"):
            if line.strip():
                toks += findall(line)
        return self.tokens_break(toks)

    def _head(self, head: str) -> object:
        """The `_heads` value of W + "."."""
        word = head[:-1]
        if word.isalnum():  # a single word token
            stem = word.lower()  # also its type without period (number types aside)
            if (
                len(word) > 1  # else an initial or a number
                and stem not in self._abbrev
                and not word.isdecimal()  # else a number type
                and stem not in self._collocation_firsts
            ):
                info = True  # what `_first_info(head)` says, faster
            else:
                info = self._first_info(head)
        elif _ANY_WS_RE.search(head):
            info = _WHOLE
        else:
            toks = self._findall(head)
            info = True if self.tokens_break(toks) else self._first_info(toks[-1])
        return _cache(self._heads, head, info)

    def _tail(self, tail: str) -> tuple:
        """The `_tails` value of T (no whitespace), or of a single non-word character."""
        if tail.isalnum():  # a single word token
            first, inside = tail, False
        else:
            toks = self._findall(tail)
            first, inside = toks[0], self.tokens_break(toks)
        info = (self._second.get(first) or self._second_info(first), inside)
        return _cache(self._tails, tail, info)

    def _finish(self, m: re.Match, head: str, info: object) -> bool:
        """Whether a "." candidate whose head has `_heads` value `info` (not True) breaks."""
        after, tail = m.groups()
        if info is _WHOLE:
            self.whole_contexts += 1
            return self.context_breaks(head + after)
        if tail is None:
            tail = after
        tail_info = self._tails.get(tail) or self._tail(tail)
        return tail_info[1] or self._decide(info, tail_info[0])

    def _breaks(self, text: str, m: re.Match, word_start: int) -> bool:
        """Whether the candidate `m`, whose word part starts at `word_start`, is a break."""
        s = m.start()
        if text[s] != ".":
            return True
        head = text[word_start : s + 1]
        info = self._heads.get(head, _MISSING)
        if info is _MISSING:
            info = self._head(head)
        return info is True or self._finish(m, head, info)

    # --- counting ---------------------------------------------------------------------------

    def _candidates(self, text: str, first_qe: int):
        """nltk's candidate matches in text order, for a text whose first "?" or "!" is at
        `first_qe`: from the "."-only regex before it, from nltk's own regex after it."""
        for m in self._dot_finditer(text):
            if m.start() > first_qe:
                break
            yield m
        yield from self._finditer(text, first_qe)

    def count(self, text: str, limit: int) -> int:
        """min(limit, number of Punkt sentences)."""
        if limit <= 0:
            return 0
        n = 0
        last = None  # the last break's match
        prev_s = -1  # previous candidate's end character
        prev_ws = 0  # previous candidate's word start
        pending = None  # previous candidate, if it may still be dropped
        pending_ws = 0
        rfind = text.rfind
        heads = self._heads
        breaks = self._breaks
        q = text.find("?")
        e = text.find("!")
        if q < 0 and e < 0:
            candidates = self._dot_finditer(text)
        else:
            candidates = self._candidates(text, e if q < 0 else q if e < 0 else min(q, e))
        for m in candidates:
            s = m.start()
            # k: the last ASCII whitespace in [lo, s), or -1; text[prev_s] is no whitespace.
            # First the last " " or "\n"; the rarer "\t\r\x0b\x0c" are looked for only where
            # the word start matters and may lie after that: see `_rare_ws`.
            lo = prev_s + 1
            k = rfind(" ", lo, s)
            j = rfind("\n", k + 1 if k >= 0 else lo, s)
            if j > k:
                k = j
            exact = k < 0
            if exact:
                k = _rare_ws(text, lo, s, k)
            if prev_s < 0:
                ws = k + 1 if k >= 1 else 0
            else:
                ws = k + 1 if k >= 0 else prev_ws
                # Keep the pending candidate iff ws >= prev_s: with a " " or "\n" found, ws is
                # past prev_s whatever whitespace follows it.
                if pending is not None:
                    if ws >= prev_s and breaks(text, pending, pending_ws):
                        n += 1
                        if n >= limit:
                            return limit
                        last = pending
                    pending = None
            if ws == s or text[s + 1] in _ASCII_WS:  # certainly kept: decide now
                # ws only matters for the head here: the next candidate is past whitespace.
                if text[s] == ".":
                    head = text[ws : s + 1]
                    info = heads.get(head, _MISSING)
                    if info is _MISSING:
                        info = self._head(head)
                    if info is _WHOLE and not exact:  # the head may hold "\t\r\x0b\x0c"
                        k = _rare_ws(text, lo, s, k)
                        if k >= 1 and k + 1 != ws:
                            ws = k + 1
                            head = text[ws : s + 1]
                            info = heads.get(head, _MISSING)
                            if info is _MISSING:
                                info = self._head(head)
                    brk = info is True or self._finish(m, head, info)
                else:
                    brk = True
                if brk:
                    n += 1
                    if n >= limit:
                        return limit
                    last = m
            else:
                if not exact:
                    k = _rare_ws(text, lo, s, k)
                    ws = k + 1 if k >= 1 else 0  # k >= lo >= 1 after a first candidate
                pending = m
                pending_ws = ws
            prev_s = s
            prev_ws = ws
        if pending is not None and breaks(text, pending, pending_ws):
            n += 1
            last = pending
        if last is None:  # one sentence, unless the text is all whitespace
            return 0 if text.isspace() or not text else 1
        start = last.start(2)
        if start < 0:
            start = last.end()
        if not _CLOSERS_TAIL_RE.match(text, start):
            n += 1
        return n if n < limit else limit
