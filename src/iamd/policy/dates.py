"""Date values of the Date condition operators: ISO 8601 text or epoch seconds.

AWS reads policy dates with a permissive ISO 8601 parser (the recorded errors show which texts it
takes): ``2019-07-01T13:20:15Z``, ``2016-12-13t2:00:00.593194+23``, even ``01T``, and integers as
epoch seconds as long as they fit in a signed 64-bit number (``-292275054`` is taken,
``9223372036854775808`` is not). Refused: a one-digit offset (``+1``), more than nine fraction
digits, a month 13 (``234-13``), words. The grammar here:

    datetime    = epoch | date-opt-time | 'T' time [offset]
    epoch       = ['-'] digits                       (signed 64-bit)
    date        = year ['-' MM ['-' dd]] | year '-' DDD | year '-W' ww ['-' e]
    date-opt-time = date ['T' [time] [offset]]
    time        = HH [':' mm [':' ss [fraction] | fraction] | fraction]
    fraction    = ('.' | ',') 1*9digit
    offset      = 'Z' | ('+' | '-') HH [[':'] mm]
    year        = ['+' | '-'] 1*9digit ; MM, dd, HH, mm, ss = 1*2digit ; DDD = 1*3digit

'T' and 'Z' in either case. A value is turned into seconds since 1970-01-01T00:00:00Z (a float).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# A match's groupdict(): a group that did not take part is None.
Groups = Mapping[str, str | None]

__all__ = ["parse_date", "is_valid_date"]

_YEAR = r"(?P<y>[+-]?\d{1,9})"
_TIME = (
    r"(?P<h>\d{1,2})(?:(?::(?P<mi>\d{1,2})(?:(?::(?P<s>\d{1,2})(?P<fs>[.,]\d{1,9})?)|(?P<fm>[.,]\d{1,9}))?)"
    r"|(?P<fh>[.,]\d{1,9}))?"
)
_OFFSET = r"(?:(?P<z>[Zz])|(?P<os>[+-])(?P<oh>\d{2})(?::?(?P<om>\d{2}))?)"
_REST = rf"(?:[Tt](?:{_TIME})?{_OFFSET}?)?"
_FORMS = (
    ("std", re.compile(rf"{_YEAR}(?:-(?P<mo>\d{{1,2}})(?:-(?P<d>\d{{1,2}}))?)?{_REST}\Z")),
    ("ord", re.compile(rf"{_YEAR}-(?P<doy>\d{{1,3}}){_REST}\Z")),
    ("week", re.compile(rf"{_YEAR}-[Ww](?P<w>\d{{1,2}})(?:-(?P<wd>\d))?{_REST}\Z")),
    ("time", re.compile(rf"[Tt]{_TIME}{_OFFSET}?\Z")),
)
_EPOCH = re.compile(r"-?\d+\Z")
_MIN_YEAR, _MAX_YEAR = -292275054, 292278993
_LONG = 2**63


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 in the proleptic Gregorian calendar, for any year."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _month_days(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _required(groups: Groups, name: str) -> int:
    """A group its form's pattern cannot match without (so never None there), as a number."""
    value = groups[name]
    assert value is not None
    return int(value)


def _date_days(form: str, groups: Groups) -> int:
    if form == "time":
        return 0
    year = _required(groups, "y")
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise ValueError("year out of range")
    if form == "std":
        month = int(groups["mo"] or 1)
        day = int(groups["d"] or 1)
        if not 1 <= month <= 12 or not 1 <= day <= _month_days(year, month):
            raise ValueError("no such day")
        return _days_from_civil(year, month, day)
    if form == "ord":
        doy = _required(groups, "doy")
        if not 1 <= doy <= (366 if _is_leap(year) else 365):
            raise ValueError("no such day of year")
        return _days_from_civil(year, 1, 1) + doy - 1
    week, weekday = _required(groups, "w"), int(groups["wd"] or 1)
    jan4 = _days_from_civil(year, 1, 4)
    monday = jan4 - (jan4 + 3) % 7
    last_week = 53 if (_days_from_civil(year + 1, 1, 4) - monday) // 7 > 52 else 52
    if not 1 <= week <= last_week or not 1 <= weekday <= 7:
        raise ValueError("no such week day")
    return monday + (week - 1) * 7 + weekday - 1


def _fraction(text: str | None) -> float:
    return float("0." + text[1:]) if text else 0.0


def _time_seconds(groups: Groups) -> float:
    if groups.get("h") is None:
        return 0.0
    hour = _required(groups, "h")
    minute = int(groups["mi"] or 0)
    second = int(groups["s"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError("no such time")
    seconds: float = hour * 3600 + minute * 60 + second
    seconds += _fraction(groups["fh"]) * 3600 + _fraction(groups["fm"]) * 60 + _fraction(groups["fs"])
    return seconds


def _offset_seconds(groups: Groups) -> int:
    if not groups.get("os"):
        return 0
    hours, minutes = _required(groups, "oh"), int(groups["om"] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError("no such offset")
    sign = -1 if groups["os"] == "-" else 1
    return sign * (hours * 3600 + minutes * 60)


def parse_date(text: str) -> float:
    """Seconds since the epoch for a policy or request date; ValueError when it is not a date."""
    if _EPOCH.match(text):
        value = int(text)
        if not -_LONG <= value < _LONG:
            raise ValueError("epoch out of range")
        return float(value)
    for form, pattern in _FORMS:
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            days = _date_days(form, groups)
            return days * 86400 + _time_seconds(groups) - _offset_seconds(groups)
    raise ValueError(f"not a date: {text!r}")


def is_valid_date(text: str) -> bool:
    try:
        parse_date(text)
    except ValueError:
        return False
    return True
