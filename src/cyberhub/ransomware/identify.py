""""What hit us?": rank ransomware families from what a victim sees.

Pure matching, no database: :class:`Index` is built once from :class:`Family` records
(the reference families and what members contributed), and :func:`identify` ranks the
families for a :class:`Query` with the evidence for each. Visibility is the caller's:
every indexed entry carries the hub record that contributed it, and ``identify`` asks
``visible(record ids)`` which of the non-public ones the asker may see before it counts
them (see ``service.identify``).

Four kinds of evidence, each scored in [0, 1] and weighted (:data:`WEIGHTS`):

- **extension** — the encrypted file's name ends with one of the family's extensions.
  The galaxy's entries are exact suffixes (``.lockbit``), placeholders
  (``.id-[ID].[email].crypt``, ``<random>``) turned into patterns, or regular
  expressions; descriptions in prose ("RANDOM 3 LETTERS ARE ADDED") are skipped. A
  suffix shared by many families (``.locked``: 49) counts for less, and an ordinary
  file type (``.mp3``) for little.
- **note name** — the ransom note's file name, exactly (case-insensitive), after
  removing digits and punctuation (``restore_my_files (2).TXT``), or by trigram
  similarity (typos); placeholders as for extensions.
- **note text** — TF-IDF cosine over word 1–2-grams (sublinear tf, idf counted over
  families, not notes, so a phrase is distinctive when few *families* use it). Before
  tokenising, what changes from one victim to the next — e-mail addresses, URLs and
  onion names, long identifiers and wallet addresses, numbers — becomes a placeholder
  word, so a note with another victim id still matches. The index is an inverted index
  (terms × notes, CSR), so a query costs the postings of its own terms.
- **contact point** — an e-mail address, onion name or wallet in the note that one of a
  family's known notes carries too (the hub's knowledge-base hits are added by the
  service).
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Final

import numpy as np
from scipy import sparse

from cyberhub.i18n import _, ngettext

__all__ = ["WEIGHTS", "Candidate", "Evidence", "Family", "Index", "Note", "Query",
           "contacts_in", "identify", "tokens"]

# How much each kind of evidence counts at full strength (tuned on the tuning seed of
# bench/bench_identify.py, never on the evaluation seed).
WEIGHTS: Final = {"extension": 3.0, "note_name": 2.0, "note_text": 4.0, "contact": 3.0,
                  "knowledge_base": 2.0}
MAX_CANDIDATES: Final = 10
MAX_TEXT: Final = 200_000  # characters of a note that are read
TEXT_FLOOR: Final = 0.12  # cosine below this is noise, not evidence
NAME_FLOOR: Final = 0.8  # edit similarity below this is not a typo of the name
_COPY: Final = re.compile(r"(?:\s*-\s*copy|\s*\(\d+\)|_\d+|\s+\d+)(?=\.[^.]*\Z|\Z)", re.IGNORECASE)
TOP_NOTES: Final = 400  # best-scoring notes checked for visibility, then aggregated

# Ordinary file types: a family that "adds .mp3" is a weak clue.
_ORDINARY_TYPES: Final = (
    ".txt .doc .docx .xls .xlsx .ppt .pptx .pdf .jpg .jpeg .png .gif .bmp .mp3 .mp4 .avi "
    ".zip .rar .7z .exe .dll .css .js .html .htm .php .xml .json .bak .dat .tmp .log .ini "
    ".sys .db .sql .csv .rtf .hta .lnk .url .cab .iso .tar .gz .backup .com .bin")
_ORDINARY: Final = frozenset(_ORDINARY_TYPES.split(" "))
_PLACEHOLDER: Final = re.compile(
    r"\[[^\]]{1,40}\]|<[^>]{1,40}>|\{[^}]{1,40}\}|%[a-z]+%", re.IGNORECASE)
_PLACEHOLDER_WORDS: Final = re.compile(
    r"id|email|e-mail|mail|random|rand|char|chars|letters|numbers|number|digits|hex|key|"
    r"victim|uid|user|name|ext|extension|a-z|0-9|\d", re.IGNORECASE)
_REGEX_HINT: Final = re.compile(r"\(\.\*\)|\[[a-zA-Z0-9+_-]*-[a-zA-Z0-9]\]|\{\d+(?:,\d*)?\}|\\")
_PROSE: Final = re.compile(r"\s")
_EMAIL: Final = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+", re.UNICODE)
_URL: Final = re.compile(r"\b(?:https?|hxxps?|ftp)://\S+|\b[a-z2-7]{16,56}\.onion\b\S*|"
                         r"\bwww\.\S+", re.IGNORECASE)
_ONION: Final = re.compile(r"\b[a-z2-7]{16}(?:[a-z2-7]{40})?\.onion\b", re.IGNORECASE)
_BTC: Final = re.compile(r"\b(?:bc1[ac-hj-np-z02-9]{25,87}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b")
_LONG_ID: Final = re.compile(r"\b(?=\w*\d)\w{12,}\b")
_NUMBER: Final = re.compile(r"\d+")
_WORD: Final = re.compile(r"\w+")
_PLACEHOLDER_TERM: Final = re.compile(r"\b(?:0|xemailx|xurlx|xwalletx|xidx)\b")


# ---------------------------------------------------------------- records


@dataclass
class Note:
    text: str
    record_id: uuid.UUID | None  # the hub record that holds it; None: always visible


@dataclass
class Family:
    """What the index knows of one family, merged from every record that describes it.

    ``records``: every contributing hub record; ``public``: those every asker may see
    (reference data, TLP:CLEAR) — the rest are checked per query."""

    key: str  # the STIX id of the family (the reference family's when there is one)
    name: str
    aliases: list[str] = field(default_factory=list)
    extensions: list[tuple[str, uuid.UUID | None]] = field(default_factory=list)
    note_names: list[tuple[str, uuid.UUID | None]] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    record_ids: list[uuid.UUID] = field(default_factory=list)
    stix_ids: list[str] = field(default_factory=list)
    public: bool = False  # one of its records is TLP:CLEAR


@dataclass
class Query:
    file_name: str = ""
    note_name: str = ""
    note_text: str = ""
    contacts: list[tuple[str, str]] = field(default_factory=list)  # normalised (kind, value)

    @property
    def empty(self) -> bool:
        return not (self.file_name.strip() or self.note_name.strip()
                    or self.note_text.strip() or self.contacts)


@dataclass
class Evidence:
    kind: str  # extension, note_name, note_text, contact, knowledge_base
    message: str
    strength: float  # 0..1 before weighting

    @property
    def points(self) -> float:
        return WEIGHTS[self.kind] * self.strength


@dataclass
class Candidate:
    key: str
    name: str
    score: float
    evidence: list[Evidence]


# ---------------------------------------------------------------- patterns


@dataclass
class _Pattern:
    raw: str
    regex: re.Pattern[str]
    family: int
    record_id: uuid.UUID | None


def _literal(entry: str) -> str:
    """The letters a pattern fixes: what is left without placeholders, regex groups,
    classes and an ordinary file type at the end."""
    s = _PLACEHOLDER.sub("", entry)
    s = re.sub(r"\(.*?\)|\[.*?\]|\{.*?\}|\\\w", "", s)
    s = re.sub(r"\.[a-z0-9]{2,4}\Z", lambda m: "" if m.group(0).lower() in _ORDINARY
               else m.group(0), s, flags=re.IGNORECASE)
    return "".join(c for c in s if c.isalnum())


def _specific(entry: str) -> bool:
    """A pattern that fixes at least three letters or digits; ``[a-z]{4,6}`` or
    ``<random>.html`` would match every file."""
    return len(_literal(entry)) >= 3


def _placeholders(entry: str) -> list[re.Match[str]]:
    """``[ID]``, ``<random>``, ``{RAND}``, ``%random%``; not ``[x@y.com]`` (a literal)."""
    return [m for m in _PLACEHOLDER.finditer(entry)
            if "@" not in m.group(0) and _PLACEHOLDER_WORDS.search(m.group(0)[1:-1])]


def _placeholder_regex(entry: str) -> re.Pattern[str] | None:
    """``.id-[ID].[email].crypt`` → a pattern anchored at the end of the name."""
    found = _placeholders(entry)
    if not found:
        return None
    parts: list[str] = []
    pos = 0
    for m in found:
        parts.append(re.escape(entry[pos:m.start()]))
        parts.append(r"[^\\/]{1,80}?")
        pos = m.end()
    if _PROSE.search(entry) or not _specific(entry):
        return None  # prose, or "<random>.<random>", "[victim_id].html": matches anything
    parts.append(re.escape(entry[pos:]))
    return re.compile("(?:" + "".join(parts) + r")\Z", re.IGNORECASE)


def _entry_regex(entry: str) -> re.Pattern[str] | None:
    """A galaxy entry written as a regular expression (``(.*).encoded.([A-Z0-9]{9})``)."""
    if not _REGEX_HINT.search(entry) or _PROSE.search(entry) or len(entry) > 120:
        return None
    if not _specific(entry):
        return None
    try:
        return re.compile("(?:" + entry + r")\Z", re.IGNORECASE)
    except re.error:
        return None


_BRACKET_EMAIL: Final = re.compile(r"[\[({]?[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+[\])}]?")


def _email_pattern(entry: str) -> re.Pattern[str] | None:
    """``.[backdata@cock.li].CreamPie`` → any address in its place: the address changes
    from one victim (or one affiliate) to the next, the rest does not."""
    found = list(_BRACKET_EMAIL.finditer(entry))
    if not found or _PROSE.search(entry):
        return None
    rest = _BRACKET_EMAIL.sub("", entry)
    if len(_literal(rest)) < 3:
        return None
    parts, pos = [], 0
    for m in found:
        parts.append(re.escape(entry[pos:m.start()]))
        parts.append(r"[^\\/]{0,2}[\w.+-]{1,64}@[\w.-]{1,253}[^\\/]{0,2}")
        pos = m.end()
    parts.append(re.escape(entry[pos:]))
    return re.compile("(?:" + "".join(parts) + r")\Z", re.IGNORECASE)


def _classify(entry: str) -> tuple[str, str | re.Pattern[str]] | None:
    """("exact", casefolded suffix) or ("pattern", regex); None for prose."""
    s = entry.strip().strip("'\"`").strip()
    if s.lower().startswith("e.g.") or len(s) < 2:
        return None
    rx = _entry_regex(s)
    if rx is not None:
        return "pattern", rx
    if _placeholders(s):
        rx = _placeholder_regex(s)
        return ("pattern", rx) if rx is not None else None
    if _PROSE.search(s) and not s.startswith("."):
        return None
    if _PROSE.search(s):
        return None
    return "exact", s.casefold()


def _basename(name: str) -> str:
    name = unicodedata.normalize("NFKC", name.strip().strip("'\""))[:400]
    return re.split(r"[\\/]", name)[-1].strip()


def skeleton(name: str) -> str:
    """``Restore-My-Files (2).TXT`` → ``restoremyfilestxt``."""
    return "".join(c for c in name.casefold() if c.isalpha())


def _trigrams(s: str) -> frozenset[str]:
    s = f"  {s} "
    return frozenset(s[i:i + 3] for i in range(len(s) - 2))


# ---------------------------------------------------------------- text


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_TEXT]).casefold()
    text = _EMAIL.sub(" xemailx ", text)
    text = _URL.sub(" xurlx ", text)
    text = _BTC.sub(" xwalletx ", text)
    text = _LONG_ID.sub(" xidx ", text)
    return _NUMBER.sub("0", text)


def tokens(text: str) -> list[str]:
    """The features of a note: words and word pairs, after the placeholders."""
    words = _WORD.findall(_clean(text))
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def contacts_in(text: str) -> list[tuple[str, str]]:
    """Cheap contact points of a known note, for the index: e-mail addresses, onion
    names and Bitcoin addresses, normalised as the knowledge base normalises them."""
    from cyberhub.intel.normalise import normalise

    out: list[tuple[str, str]] = []
    for m in _EMAIL.finditer(text[:MAX_TEXT]):
        v = normalise("email", m.group(0))
        if v:
            out.append(("email", v))
    for m in _ONION.finditer(text[:MAX_TEXT]):
        v = normalise("domain", m.group(0))
        if v:
            out.append(("domain", v))
    for m in _BTC.finditer(text[:MAX_TEXT]):
        v = normalise("wallet", m.group(0), chain="btc")
        if v:
            out.append(("wallet", v))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------- the index


class Index:
    """Every family's extensions, note names, notes and contact points, searchable."""

    def __init__(self, families: Sequence[Family]) -> None:
        self.families = list(families)
        self.by_key = {f.key: i for i, f in enumerate(self.families)}
        n = len(self.families)
        # Extensions: exact suffixes in a dict, patterns in a list.
        self.ext_exact: dict[str, list[tuple[int, uuid.UUID | None]]] = defaultdict(list)
        self.ext_patterns: list[_Pattern] = []
        self.name_exact: dict[str, list[tuple[int, uuid.UUID | None]]] = defaultdict(list)
        self.name_skeleton: dict[str, list[tuple[int, uuid.UUID | None, str]]] = defaultdict(list)
        self.name_patterns: list[_Pattern] = []
        self.contacts: dict[tuple[str, str], list[tuple[int, uuid.UUID | None]]] = \
            defaultdict(list)
        for i, fam in enumerate(self.families):
            for entry, rid in fam.extensions:
                kind = _classify(entry)
                if kind is None:
                    continue
                if kind[0] == "exact":
                    self.ext_exact[str(kind[1])].append((i, rid))
                    generalised = _email_pattern(entry.strip())
                    if generalised is not None:
                        self.ext_patterns.append(_Pattern(entry, generalised, i, rid))
                else:
                    self.ext_patterns.append(_Pattern(entry, kind[1], i, rid))  # type: ignore[arg-type]
            for entry, rid in fam.note_names:
                base = _basename(entry)
                if _placeholders(base) or "*" in base:
                    rx = _placeholder_regex(base.replace("*", "[random]"))
                    if rx is not None:
                        self.name_patterns.append(_Pattern(entry, rx, i, rid))
                    continue
                if _entry_regex(base) is not None:
                    continue
                self.name_exact[base.casefold()].append((i, rid))
                sk = skeleton(base)
                if len(sk) >= 4:
                    self.name_skeleton[sk].append((i, rid, base))
            for note in fam.notes:
                for pair in contacts_in(note.text):
                    self.contacts[pair].append((i, note.record_id))
        self.ext_spread = {k: len({i for i, _r in v}) for k, v in self.ext_exact.items()}
        self.name_spread = {k: len({i for i, _r in v}) for k, v in self.name_exact.items()}
        self.skeleton_grams = {k: _trigrams(k) for k in self.name_skeleton}
        self._build_text(n)

    # -------------------------------------------------------------- text index

    def _build_text(self, n_families: int) -> None:
        vocab: dict[str, int] = {}
        fam_df: dict[int, set[int]] = defaultdict(set)
        rows: list[dict[int, int]] = []
        self.note_family: list[int] = []
        self.note_record: list[uuid.UUID | None] = []
        for i, fam in enumerate(self.families):
            for note in fam.notes:
                counts: dict[int, int] = {}
                for tok in tokens(note.text):
                    col = vocab.setdefault(tok, len(vocab))
                    counts[col] = counts.get(col, 0) + 1
                if not counts:
                    continue
                for col in counts:
                    fam_df[col].add(i)
                rows.append(counts)
                self.note_family.append(i)
                self.note_record.append(note.record_id)
        self.vocab = vocab
        with_notes = max(1, len({f for f in self.note_family}))
        idf = np.ones(len(vocab), dtype=np.float32)
        for col, fams in fam_df.items():
            idf[col] = math.log((1 + with_notes) / (1 + len(fams))) + 1.0
        self.idf = idf
        self.term_families = {col: len(fams) for col, fams in fam_df.items()}
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for counts in rows:
            cols = list(counts)
            vals = np.array([(1.0 + math.log(counts[c])) * idf[c] for c in cols],
                            dtype=np.float32)
            norm = float(np.linalg.norm(vals)) or 1.0
            indices.extend(cols)
            data.extend((vals / norm).tolist())
            indptr.append(len(indices))
        notes = sparse.csr_matrix(
            (np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32),
             np.array(indptr, dtype=np.int64)), shape=(len(rows), max(1, len(vocab))))
        # Terms × notes: a query reads the postings of its own terms only.
        self.postings = notes.T.tocsr()
        self.note_family_arr = np.array(self.note_family, dtype=np.int32)
        self.note_count = len(rows)
        # Notes × terms and the terms by column, for the phrases an answer shows.
        self.by_note = notes
        self.terms = [""] * len(vocab)
        for term, col in vocab.items():
            self.terms[col] = term

    def vector(self, text: str) -> tuple[list[int], np.ndarray]:
        counts: dict[int, int] = {}
        for tok in tokens(text):
            col = self.vocab.get(tok)
            if col is not None:
                counts[col] = counts.get(col, 0) + 1
        cols = list(counts)
        # The norm counts every token, known or not: unknown words dilute the match.
        vals = np.array([(1.0 + math.log(counts[c])) * self.idf[c] for c in cols],
                        dtype=np.float32)
        unknown = len(set(tokens(text))) - len(cols)
        max_idf = float(self.idf.max()) if self.idf.size else 1.0
        norm = math.sqrt(float((vals ** 2).sum()) + unknown * max_idf ** 2 * 0.25) or 1.0
        return cols, vals / norm

    def note_scores(self, text: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(note indexes, cosine scores) of the best-matching notes, and the query's terms."""
        cols, vals = self.vector(text)
        if not cols or self.note_count == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), cols
        q = sparse.csr_matrix((vals, np.array(cols, dtype=np.int32),
                               np.array([0, len(cols)], dtype=np.int64)),
                              shape=(1, self.postings.shape[0]))
        scores = (q @ self.postings).tocoo()
        idx, sc = scores.col.astype(np.int64), scores.data
        if len(idx) > TOP_NOTES:
            top = np.argpartition(-sc, TOP_NOTES)[:TOP_NOTES]
            idx, sc = idx[top], sc[top]
        return idx, sc, cols

    def shared_phrases(self, cols: list[int], note: int, limit: int = 5) -> tuple[int, list[str]]:
        """Distinctive phrases (word pairs at most three families use) that the query
        shares with a note: their number, and the rarest few."""
        ptr = self.by_note.indptr
        note_cols = set(self.by_note.indices[ptr[note]:ptr[note + 1]].tolist())
        shared = [c for c in set(cols) & note_cols
                  if self.term_families.get(c, 0) <= 3 and " " in self.terms[c]
                  and not _PLACEHOLDER_TERM.search(self.terms[c])]
        shared.sort(key=lambda c: (-self.idf[c], self.terms[c]))
        return len(shared), [self.terms[c] for c in shared[:limit]]


# ---------------------------------------------------------------- matching


Visible = Callable[[set[uuid.UUID]], set[uuid.UUID]]


def _all_visible(ids: set[uuid.UUID]) -> set[uuid.UUID]:
    return ids


def _spread_factor(spread: int) -> float:
    """1 for a suffix or name one family uses, less the more families share it."""
    return 1.0 / math.sqrt(max(1, spread))


def _file_suffixes(name: str) -> list[str]:
    base = _basename(name).casefold()
    if not base:
        return []
    if "." not in base and not any(c in base for c in "_!@~"):
        base = "." + base  # the extension alone, typed without its dot
    return [base[i:] for i in range(len(base)) if len(base) - i >= 2]


def identify(index: Index, query: Query, visible: Visible = _all_visible,
             extra: dict[str, list[Evidence]] | None = None,
             limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The families that best explain what the victim sees, best first, with why."""
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    pending: list[tuple[int, uuid.UUID | None, Evidence]] = []

    def add(fam: int, rid: uuid.UUID | None, ev: Evidence) -> None:
        pending.append((fam, rid, ev))

    if query.file_name.strip():
        _match_extension(index, query.file_name, add)
    if query.note_name.strip():
        _match_note_name(index, query.note_name, add)
    text_cols: list[int] = []
    best_note: dict[int, tuple[float, int]] = {}
    if query.note_text.strip():
        idx, sc, text_cols = index.note_scores(query.note_text)
        for note, score in zip(idx.tolist(), sc.tolist(), strict=True):
            if score < TEXT_FLOOR:
                continue
            fam = int(index.note_family_arr[note])
            rid = index.note_record[note]
            pending.append((fam, rid, Evidence("note_text", str(note), float(score))))
    for pair in query.contacts:
        for fam, rid in index.contacts.get(pair, ()):
            add(fam, rid, Evidence("contact", _contact_message(pair), 1.0))

    hidden = {rid for _f, rid, _e in pending if rid is not None}
    allowed = visible(hidden) if hidden else set()
    for fam, rid, ev in pending:
        if rid is not None and rid not in allowed:
            continue
        if ev.kind == "note_text":
            note = int(ev.message)
            if ev.strength > best_note.get(fam, (0.0, -1))[0]:
                best_note[fam] = (ev.strength, note)
            continue
        evidence[fam].append(ev)
    for fam, (score, note) in best_note.items():
        count, phrases = index.shared_phrases(text_cols, note)
        msg = (ngettext("note text is %(pct)d%% similar to a known note, sharing %(n)d "
                        "distinctive phrase (%(examples)s)",
                        "note text is %(pct)d%% similar to a known note, sharing %(n)d "
                        "distinctive phrases (%(examples)s)", count)
               % {"pct": round(score * 100), "n": count,
                  "examples": ", ".join(f"“{p}”" for p in phrases[:3])}
               if count else
               _("note text is %(pct)d%% similar to a known note") % {"pct": round(score * 100)})
        evidence[fam].append(Evidence("note_text", msg, min(1.0, score * 1.25)))
    for key, evs in (extra or {}).items():
        fam_i = index.by_key.get(key)
        if fam_i is not None:
            evidence[fam_i].extend(evs)

    candidates = []
    for fam_i, evs in evidence.items():
        evs = _dedupe(evs)
        score = sum(_kind_best(evs).values())
        known = index.families[fam_i]
        candidates.append(Candidate(known.key, known.name, round(score, 4),
                                    sorted(evs, key=lambda e: -e.points)))
    candidates.sort(key=lambda c: (-c.score, c.name.casefold(), c.key))
    return candidates[:limit]


def _kind_best(evs: Iterable[Evidence]) -> dict[str, float]:
    """Each kind counts once, at its strongest (contacts add up, to two)."""
    best: dict[str, float] = {}
    contacts = 0.0
    for ev in evs:
        if ev.kind in ("contact", "knowledge_base"):
            contacts += ev.points
        else:
            best[ev.kind] = max(best.get(ev.kind, 0.0), ev.points)
    best["contacts"] = min(contacts, 2 * WEIGHTS["contact"])
    return best


def _dedupe(evs: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for ev in evs:
        k = (ev.kind, ev.message)
        if k not in seen or ev.strength > seen[k].strength:
            seen[k] = ev
    return list(seen.values())


def _contact_message(pair: tuple[str, str]) -> str:
    kind, value = pair
    return _("%(kind)s %(value)s appears in a known note of this family") % {
        "kind": contact_label(kind), "value": value}


def contact_label(kind: str) -> str:
    return {"email": _("e-mail"), "domain": _("address"), "url": _("address"),
            "wallet": _("wallet"), "social": _("chat ID")}.get(kind, kind)


def _match_extension(index: Index, file_name: str,
                     add: Callable[[int, uuid.UUID | None, Evidence], None]) -> None:
    suffixes = _file_suffixes(file_name)
    matched: set[int] = set()
    for suffix in suffixes:  # longest first: the most specific match wins
        for fam, rid in index.ext_exact.get(suffix, ()):
            if fam in matched:
                continue
            strength = _spread_factor(index.ext_spread[suffix])
            if suffix in _ORDINARY:
                strength *= 0.2
            if not suffix.startswith(".") and len(suffix) < 4:
                strength *= 0.5
            add(fam, rid, Evidence("extension", _("extension %(ext)s matches") % {"ext": suffix},
                                   strength))
        if suffix in index.ext_exact:
            matched.update(f for f, _r in index.ext_exact[suffix])
    base = _basename(file_name)
    if not base:
        return
    for pat in index.ext_patterns:
        if pat.family not in matched and pat.regex.search(base):
            add(pat.family, pat.record_id,
                Evidence("extension", _("file name matches the pattern %(p)s") % {"p": pat.raw},
                         0.6))


def _match_note_name(index: Index, note_name: str,
                     add: Callable[[int, uuid.UUID | None, Evidence], None]) -> None:
    base = _basename(note_name)
    if not base:
        return
    folded = base.casefold()
    found: set[int] = set()
    for fam, rid in index.name_exact.get(folded, ()):
        found.add(fam)
        add(fam, rid, Evidence("note_name", _("note file name %(n)s matches") % {"n": base},
                               _spread_factor(index.name_spread[folded])))
    sk = skeleton(_COPY.sub("", base))
    if len(sk) >= 4:
        grams = _trigrams(sk)
        for key, known in index.skeleton_grams.items():
            if key == sk:
                sim = 0.95
            else:
                inter = len(grams & known)
                if not inter or inter / len(grams | known) < 0.2:
                    continue
                sim = SequenceMatcher(None, sk, key, autojunk=False).ratio()
                if sim < NAME_FLOOR:
                    continue
                sim *= 0.9
            entries = index.name_skeleton[key]
            spread = len({f for f, _r, _n in entries})
            for fam, rid, original in entries:
                if fam in found:
                    continue
                add(fam, rid, Evidence(
                    "note_name", _("note file name is close to %(n)s") % {"n": original},
                    sim * _spread_factor(spread)))
    for pat in index.name_patterns:
        if pat.family not in found and pat.regex.search(base):
            add(pat.family, pat.record_id,
                Evidence("note_name", _("note file name matches the pattern %(p)s")
                         % {"p": pat.raw}, 0.6))
