"""Who is who: a name cell read as a comparable identity, and the people rows that are one person.

"Priya Shah", "Shah, Priya", "P. Shah", priya.shah@… and EXAMPLE\\pshah arrive as five owners because every
file writes names its own way. Exact rules decide here (name order, initials with a surname, an e-mail's local
part, a login, spacing and accents); rapidfuzz only adds a one-letter typo ("Priya Sah"), always as "check".
A form that could mean two people ("P. Shah" beside Priya and Pooja Shah) is never proposed: a wrong merge
moves someone's work onto another person's load bar, a missed one only leaves two bars.

Pure: DataFrame in, DataFrame out, inputs never mutated.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

import pandas as pd
from rapidfuzz.distance import OSA, Levenshtein

from core.people.groups import Link, group_frame, grouped
from core.store.values import is_blank, name_key

TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "mlle", "dott"}
SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "phd", "msc", "mba", "md", "esq"}
PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "ter", "ten", "bin", "al",
             "dos", "das", "do", "zu", "st"}
LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                         "’": "", "'": "", "`": ""})
FORM_RANK = {"name": 3, "reversed": 2, "email": 1, "login": 0, "single": 0, "opaque": 0}  # how display-ready


def fold(text: object) -> str:
    """``name_key`` (case, spacing) with accents and apostrophes folded: "José O'Núñez" → "jose onunez"."""
    decomposed = unicodedata.normalize("NFKD", name_key(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(LETTERS)


@dataclass(frozen=True)
class Identity:
    """A name cell as parts: given names (a one-letter part is an initial), surname, and how it was written."""

    key: str  # the cell's name_key: what the database already matches on
    given: tuple[str, ...] = ()
    surname: str = ""
    form: str = "name"  # name | reversed ("Shah, Priya") | email | login (DOMAIN\user) | single | opaque
    email: str | None = None  # an address the cell holds
    login: str = ""  # a one-word login ("pshah"), matched against initials and surnames

    @property
    def full(self) -> bool:
        """A written-out first name and a surname: a person the other forms can be matched to."""
        return bool(self.given) and len(self.given[0]) > 1 and bool(self.surname)

    @property
    def initials(self) -> str:
        return "".join(g[0] for g in self.given)

    @property
    def surname_key(self) -> str:
        """The surname without particles or punctuation: "van der Berg" and "Berg" compare as "berg"."""
        words = self.surname.split()
        core = [w for w in words if w not in PARTICLES] or words
        return re.sub(r"[^a-z0-9]", "", "".join(core))

    @property
    def compact(self) -> str:
        """Letters and digits only, in the order written: "Mary-Ann Lee" and "Mary Ann Lee" are the same text."""
        return re.sub(r"[^a-z0-9]", "", fold(self.key))


def parse(cell: object) -> Identity | None:
    """Read one name cell; None for a blank. Never raises: text that is no name becomes an opaque identity."""
    if is_blank(cell):
        return None
    raw = " ".join(str(cell).split())
    key = name_key(raw)
    bracket = re.match(r"^(.*?)\s*<([^<>]+)>$", raw)  # "Priya Shah <priya.shah@example.com>"
    if bracket:
        inner = parse(bracket.group(2))
        email = inner.email if inner else None
        named = parse(bracket.group(1)) if bracket.group(1).strip() else inner
        base = named or inner or Identity(key, form="opaque")
        return Identity(key, base.given, base.surname, base.form, email or base.email, base.login)
    text = re.sub(r"\([^)]*\)", " ", raw).strip() or raw
    if " " not in text and "@" in text:
        return _from_login(key, text.split("@")[0], "email", fold(text))
    if " " not in text and "\\" in text:
        return _from_login(key, text.rsplit("\\", 1)[1], "login")
    if re.search(r"\d", text):
        return Identity(key, form="opaque")  # "Resolver 89", "Group 5": identifiers, equal only as written
    if " " not in text and "," not in text:
        return _from_login(key, text, "name" if re.match(r"^\w\.", text) else "single")
    return _from_words(key, text)


def _from_login(key: str, local: str, form: str, email: str | None = None) -> Identity:
    """An e-mail local part or a login: "priya.shah" has parts, "pshah" is one word matched later."""
    local = fold(local.split("+")[0])
    parts = [re.sub(r"\d+$", "", p) for p in re.split(r"[._\-]+", local)]
    parts = [p for p in parts if p]
    if not parts or any(re.search(r"\d", p) for p in parts):
        return Identity(key, form="opaque", email=email)
    if len(parts) == 1:
        return Identity(key, form=form, email=email, login=parts[0])
    return Identity(key, tuple(parts[:-1]), parts[-1], form, email)


def _from_words(key: str, text: str) -> Identity:
    """ "Priya R. Shah", "Shah, Priya", "SHAH Priya", "Dr. P. Shah", "Ludwig van Beethoven"."""
    if "," in text:
        before, after = (s.strip() for s in text.split(",", 1))
        after_words = [w for w in _words(after) if w not in SUFFIXES and w not in TITLES]
        if after_words and before:
            surname_words, given_words = _words(before), after_words
            while given_words and given_words[-1] in PARTICLES:  # "Beethoven, Ludwig van"
                surname_words.insert(0, given_words.pop())
            return _identity(key, given_words, surname_words, "reversed")
        text = before or after
    raw_words = text.split()
    words = _words(text)
    if len(raw_words) >= 2 and len(raw_words[0]) >= 3 and raw_words[0].isupper() and not all(
            w.isupper() for w in raw_words[1:]):
        return _identity(key, words[1:], words[:1], "reversed")  # "SHAH Priya": the surname in capitals first
    while words and words[0] in TITLES:
        words.pop(0)
    while len(words) > 1 and words[-1] in SUFFIXES:
        words.pop()
    if len(words) < 2:
        return Identity(key, form="single", login="".join(words))
    split = len(words) - 1
    while split > 1 and words[split - 1] in PARTICLES:
        split -= 1
    return _identity(key, words[:split], words[split:], "name")


def _words(text: str) -> list[str]:
    """Folded words, initials split out: "P.R." → p, r; a trailing dot dropped; hyphenated names kept whole."""
    out: list[str] = []
    for raw in text.split():
        if re.fullmatch(r"(?:\w\.)+\w?\.?", raw) and len(raw.replace(".", "")) <= 3:
            out.extend(ch for ch in fold(raw.replace(".", "")))
        elif raw.isupper() and len(raw) == 2 and raw.isalpha() and out == []:
            out.extend(fold(raw))  # "PR Shah": initials in capitals
        else:
            out.extend(w for w in fold(raw).split(".") if w)
    return [w.strip("-") for w in out if w.strip("-")]


def _identity(key: str, given: list[str], surname: list[str], form: str) -> Identity:
    return Identity(key, tuple(given), " ".join(surname), form)


# --------------------------------------------------------------------------- matching
@dataclass(frozen=True)
class _Row:
    id: int
    name: str
    ident: Identity
    email: str | None  # the cell's address or the row's e-mail column, folded
    refs: int


def _rows(people: pd.DataFrame) -> list[_Row]:
    out = []
    emails = people["email"] if "email" in people else pd.Series([None] * len(people), index=people.index)
    refs = people["references"] if "references" in people else pd.Series([0] * len(people), index=people.index)
    for ident_id, name, email, n in zip(people["id"], people["name"], emails, refs):
        ident = parse(name)
        if ident is None:
            continue
        address = ident.email or (fold(email) if not is_blank(email) and "@" in str(email) else None)
        out.append(_Row(int(ident_id), str(name), ident, address, int(n or 0) if not pd.isna(n) else 0))
    return out


def _compatible(a: Identity, b: Identity) -> bool:
    """Same first name and surname; any further given names agree where both have them (initials with names)."""
    if a.surname_key != b.surname_key or not a.full or not b.full or a.given[0] != b.given[0]:
        return False
    return all(x == y or (min(len(x), len(y)) == 1 and x[0] == y[0]) for x, y in zip(a.given[1:], b.given[1:]))


def _initials_fit(short: Identity, full: Identity) -> bool:
    """ "P. Shah" fits Priya Shah; "P. R. Shah" fits Priya Rani Shah, not Priya Shah with no second name."""
    if short.surname_key != full.surname_key or len(short.given) > len(full.given):
        return False
    return all(g[0] == f[0] and (len(g) == 1 or g == f) for g, f in zip(short.given, full.given))


def _same_name_evidence(a: Identity, b: Identity) -> tuple[str, float]:
    forms = {a.form, b.form}
    if "email" in forms:
        return "e-mail local part", 0.95
    if "login" in forms:
        return "DOMAIN\\user login", 0.9
    if "reversed" in forms and forms != {"reversed"}:
        return "name order", 0.97
    if a.given != b.given:
        return "same name, with and without a middle name", 0.9
    return "same name, written differently (case, accents, punctuation)", 0.97


def _login_keys(ident: Identity) -> dict[str, str]:
    """The logins a person with this name is likely to have, with how each is built (where two agree, the last)."""
    s, g = ident.surname_key, ident.given
    return {ident.initials + s: "initials and surname", g[0] + s: "first name and surname",
            g[0][0] + s: "initial and surname"}


def _matches(rows: list[_Row]) -> tuple[list[Link], list[tuple[int, list[int]]]]:
    """Links between rows that are one person, and the rows left alone because they could be several."""
    links: list[Link] = []
    ambiguous: list[tuple[int, list[int]]] = []
    by_email: dict[str, list[_Row]] = {}
    by_compact: dict[str, list[_Row]] = {}
    by_first: dict[tuple[str, str], list[_Row]] = {}
    for r in rows:
        if r.email:
            by_email.setdefault(r.email, []).append(r)
        if not r.ident.login and r.ident.compact:
            by_compact.setdefault(r.ident.compact, []).append(r)
        if r.ident.full:
            by_first.setdefault((r.ident.given[0], r.ident.surname_key), []).append(r)
    for group in by_email.values():  # a row named by its address: one e-mail column shared by two names is a mailbox
        named = [r for r in group if r.ident.email]
        links += [Link(r.id, other.id, "same e-mail address", 0.99) for r in named[:1] for other in group
                  if other.id != r.id]
    for group in by_compact.values():
        links += [Link(group[0].id, r.id, "same name, written differently (spacing, punctuation)", 0.97)
                  for r in group[1:]]
    for group in by_first.values():
        for i, a in enumerate(group):
            for b in group[i + 1:]:
                if _compatible(a.ident, b.ident):
                    links.append(Link(a.id, b.id, *_same_name_evidence(a.ident, b.ident)))
    full = [r for r in rows if r.ident.full]
    person_of = grouped([r.id for r in full], links)  # full names already known to be one person
    by_surname: dict[str, list[_Row]] = {}
    logins: dict[str, list[tuple[_Row, str]]] = {}
    for r in full:
        by_surname.setdefault(r.ident.surname_key, []).append(r)
        for login, how in _login_keys(r.ident).items():
            logins.setdefault(login, []).append((r, how))
    mailboxes: dict[str, list[_Row]] = {}  # e-mail local part → the people whose address it is
    for r in full:
        if r.email:
            mailboxes.setdefault(re.sub(r"[^a-z0-9]", "", r.email.split("@")[0]), []).append(r)
    same_login: dict[str, list[_Row]] = {}
    for r in rows:
        ident = r.ident
        if ident.given and not ident.full and ident.surname:  # initials and a surname
            fits = [f for f in by_surname.get(ident.surname_key, []) if _initials_fit(ident, f.ident)]
            how = "e-mail local part (initials and surname)" if ident.form == "email" else "same initials and surname"
            _attach(r, fits, person_of, how, 0.85, links, ambiguous)
        elif ident.login:
            same_login.setdefault(ident.login, []).append(r)
            kind = {"email": "e-mail local part", "login": "DOMAIN\\user login"}.get(ident.form, "login")
            if boxes := [f for f in mailboxes.get(ident.login, []) if f.id != r.id]:
                _attach(r, boxes, person_of, f"{kind} matches the person's e-mail", 0.9, links, ambiguous)
                continue
            fits_how = logins.get(ident.login, [])
            how = f"{kind} ({fits_how[0][1]})" if fits_how else kind
            _attach(r, [f for f, _ in fits_how], person_of, how, 0.8, links, ambiguous)
    for group in same_login.values():  # "pshah", EXAMPLE\pshah and pshah@… are one account in several systems
        links += [Link(group[0].id, r.id, "same login", 0.8) for r in group[1:]]
    links += _typos(full, person_of)
    return links, ambiguous


def _attach(row: _Row, fits: list[_Row], person_of: dict[int, int], how: str, confidence: float,
            links: list[Link], ambiguous: list[tuple[int, list[int]]]) -> None:
    """Link a short form to the one person it fits; several people fitting it leave it alone, named as such."""
    people = {person_of[f.id]: f for f in fits if f.id != row.id}
    if len(people) == 1:
        links.append(Link(next(iter(people.values())).id, row.id, how, confidence))
    elif len(people) > 1:
        ambiguous.append((row.id, sorted(f.id for f in people.values())))


def _typos(full: list[_Row], person_of: dict[int, int]) -> list[Link]:
    """One letter apart in the surname (same first name), or two letters swapped in the first name (same surname).

    rapidfuzz's OSA distance counts a swap as one edit; a first name that differs by one letter is usually another
    name (Mark/Mary, Daniel/Daniela), so only swaps count there. Always low confidence: the page says "check".
    """
    out: list[Link] = []
    by_given: dict[str, list[_Row]] = {}
    by_surname: dict[str, list[_Row]] = {}
    for r in full:
        by_given.setdefault(r.ident.given[0], []).append(r)
        by_surname.setdefault(r.ident.surname_key, []).append(r)
    for group, part in ((by_given, "surname"), (by_surname, "first name")):
        for rows in group.values():
            for i, a in enumerate(rows):
                for b in rows[i + 1:]:
                    if person_of[a.id] == person_of[b.id]:
                        continue
                    x, y = ((a.ident.surname_key, b.ident.surname_key) if part == "surname"
                            else (a.ident.given[0], b.ident.given[0]))
                    if x[0] != y[0] or max(len(x), len(y)) < 4 or OSA.distance(x, y) != 1:
                        continue
                    if part == "first name" and Levenshtein.distance(x, y) != 2:
                        continue
                    out.append(Link(a.id, b.id, f"spelling: {part} one letter apart", 0.6))
    return out


def _fullness(row: _Row) -> tuple[int, int, int, int, int]:
    """The survivor: a written-out name over initials or a login, read order over "Shah, Priya", then most used."""
    ident = row.ident
    return (int(ident.full), FORM_RANK.get(ident.form, 0), len(ident.given), row.refs, -row.id)


def propose_merges(people: pd.DataFrame) -> pd.DataFrame:
    """Groups of person rows that are one person: one row per duplicate, with its survivor, evidence, confidence.

    ``people`` has ``id`` and ``name``, optionally ``email`` and ``references`` (rows pointing at the person).
    """
    rows = _rows(people)
    links, _ = _matches(rows)
    return group_frame(rows, links, _fullness, _conflicting)


def ambiguous_names(people: pd.DataFrame) -> pd.DataFrame:
    """Short forms that fit several people ("P. Shah": Priya or Pooja), with whom they could be: never merged."""
    rows = _rows(people)
    names = {r.id: r.name for r in rows}
    _, ambiguous = _matches(rows)
    return pd.DataFrame([{"id": i, "name": names[i], "could_be": ", ".join(names[c] for c in cands)}
                         for i, cands in ambiguous], columns=["id", "name", "could_be"])


def _conflicting(members: Iterable[_Row]) -> bool:
    """A group whose written-out names disagree (two first names) is two people joined by a weak link: drop it."""
    full = [m.ident for m in members if m.ident.full]
    return any(not _same_word(a.given[0], b.given[0]) or not _same_word(a.surname_key, b.surname_key)
               for i, a in enumerate(full) for b in full[i + 1:])


def _same_word(x: str, y: str) -> bool:
    """Equal, a typo apart, or one a part of the other's hyphenated or run-together form ("Mary" in "Mary-Ann")."""
    x, y = x.replace("-", ""), y.replace("-", "")
    return x == y or OSA.distance(x, y) <= 1 or x.startswith(y) or y.startswith(x)
