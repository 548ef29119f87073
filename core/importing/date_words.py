"""Month names and relative dates ("2 hours ago", "gestern") in the languages exports come in.

Kept apart from ``dates.py`` (which decides a column's format) because these are word lists: English, German,
French, Spanish, Dutch, Portuguese, Italian and Russian, full names and the abbreviations trackers print
("Dez", "févr.", "сент"). Lookups fold case, accents and a trailing dot.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

import pandas as pd

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("january", "jan", "januar", "janvier", "janv", "enero", "ene", "januari", "janeiro", "gennaio", "gen",
        "января", "январь", "янв"),
    2: ("february", "feb", "februar", "fevrier", "fevr", "fev", "febrero", "februari", "fevereiro", "febbraio",
        "febbr", "февраля", "февраль", "фев"),
    3: ("march", "mar", "marz", "maerz", "mrz", "mars", "marzo", "maart", "mrt", "marco", "марта", "март", "мар"),
    4: ("april", "apr", "avril", "avr", "abril", "abr", "aprile", "апреля", "апрель", "апр"),
    5: ("may", "mai", "mayo", "mei", "maio", "maggio", "mag", "мая", "май"),
    6: ("june", "jun", "juni", "juin", "junio", "junho", "giugno", "giu", "июня", "июнь", "июн"),
    7: ("july", "jul", "juli", "juillet", "juil", "julio", "julho", "luglio", "lug", "июля", "июль", "июл"),
    8: ("august", "aug", "aout", "agosto", "ago", "augustus", "agos", "августа", "август", "авг"),
    9: ("september", "sep", "sept", "septembre", "septiembre", "setiembre", "set", "setembro", "settembre",
         "сентября", "сентябрь", "сен", "сент"),
    10: ("october", "oct", "oktober", "okt", "octobre", "octubre", "outubro", "out", "ottobre", "ott",
          "октября", "октябрь", "окт"),
    11: ("november", "nov", "novembre", "noviembre", "novembro", "ноября", "ноябрь", "ноя"),
    12: ("december", "dec", "dezember", "dez", "decembre", "diciembre", "dic", "dezembro", "dicembre",
          "декабря", "декабрь", "дек"),
}


def fold(word: str) -> str:
    """Lower case, no accents, no trailing dot: 'Févr.' → 'fevr'. (й keeps its breve: it is a letter in Russian.)"""
    text = unicodedata.normalize("NFKD", word.casefold().strip().rstrip("."))
    return unicodedata.normalize("NFC", "".join(ch for ch in text if not unicodedata.combining(ch) or ch == "\u0306"))


MONTHS: dict[str, int] = {fold(name): month for month, names in _MONTH_NAMES.items() for name in names}


def month_number(word: str) -> int | None:
    """1-12 for a month name or abbreviation in any of the languages above, else None."""
    key = fold(word)
    if key in MONTHS:
        return MONTHS[key]
    for n in (4, 3):
        if len(key) > n and key[:n] in MONTHS:
            return MONTHS[key[:n]]
    return None


_UNITS = {"second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400, "week": 604800,
          "month": 2629800, "year": 31557600,
          "sekunde": 1, "stunde": 3600, "tag": 86400, "woche": 604800, "monat": 2629800, "jahr": 31557600,
          "seconde": 1, "heure": 3600, "jour": 86400, "semaine": 604800, "mois": 2629800, "an": 31557600,
          "annee": 31557600, "segundo": 1, "minuto": 60, "hora": 3600, "dia": 86400, "semana": 604800,
          "mes": 2629800, "ano": 31557600}
_RELATIVE_EN = re.compile(r"^(?P<n>\d+|an?|one)\s+(?P<unit>[a-z]+)\s+ago$")
_RELATIVE_DE = re.compile(r"^vor\s+(?P<n>\d+|einer?|einem)\s+(?P<unit>[a-z]+)$")
_RELATIVE_FR_ES = re.compile(r"^(?:il y a|hace|ha)\s+(?P<n>\d+|une?|un)\s+(?P<unit>[a-z]+)$")


def _unit(word: str) -> int | None:
    """Seconds in a unit word, plural and case endings ignored ('Stunden', 'jours', 'horas')."""
    for cut in (0, 1, 2):
        unit = _UNITS.get(word[: len(word) - cut])
        if unit:
            return unit
    return None
_DAY_WORDS = {"today": 0, "now": 0, "just now": 0, "yesterday": 1, "heute": 0, "gestern": 1, "jetzt": 0,
              "aujourd'hui": 0, "aujourd hui": 0, "hier": 1, "hoy": 0, "ayer": 1, "hoje": 0, "ontem": 1,
              "oggi": 0, "ieri": 1, "vandaag": 0, "gisteren": 1, "сегодня": 0, "вчера": 1}


def relative_seconds(text: str) -> tuple[float, bool] | None:
    """(seconds before the export time, whole days?) for '3 days ago', 'vor 2 Stunden', 'hier'…, else None."""
    key = fold(text)
    if key in _DAY_WORDS:
        return float(_DAY_WORDS[key] * 86400), key not in ("now", "just now", "jetzt")
    for regex in (_RELATIVE_EN, _RELATIVE_DE, _RELATIVE_FR_ES):
        m = regex.match(key)
        if m:
            unit = _unit(m["unit"])
            if unit is None:
                return None
            n = int(m["n"]) if m["n"].isdigit() else 1
            return float(n * unit), unit >= 86400
    return None


def resolve_relative(found: dict[int, tuple[float, bool]], anchor: datetime) -> pd.Series:
    """Relative values as datetimes before ``anchor`` (whole days keep the anchor's calendar, no time)."""
    out = {}
    for i, (seconds, whole_days) in found.items():
        at = anchor - timedelta(seconds=seconds)
        out[i] = datetime(at.year, at.month, at.day) if whole_days and seconds % 86400 == 0 else at
    return pd.Series(out, dtype="datetime64[ns]")
