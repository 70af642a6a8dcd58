"""Time-zone arithmetic the availability rules need, exact across DST changes (stdlib ``zoneinfo`` only).

Vocabulary: an *instant* is an aware ``datetime`` in UTC; a *wall time* is a naive ``datetime`` read off a
clock in some zone. A wall time maps to zero instants (it falls in a spring-forward gap), one, or two (it
falls in a fall-back repeated hour: ``fold=0`` is the first occurrence, ``fold=1`` the second).

The zone's UTC offset is piecewise constant; :func:`offset_pieces` finds the pieces by sampling the offset
every 30 minutes and bisecting each change down to the second. That is exact for every zone in the IANA
database, whose offset never changes twice within 30 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

MAX_QUERY_DAYS = 31
_SAMPLE = timedelta(minutes=30)
_RESOLUTION = timedelta(seconds=1)
# Real UTC offsets lie within ±16 h (local mean time of a few 19th-century zones included).
_MAX_OFFSET = timedelta(hours=16)


class UnknownTimeZone(ValueError):
    """The name is not an IANA time-zone name this machine knows."""


@lru_cache(maxsize=1)
def _known_zone_names() -> frozenset[str]:
    # ``localtime`` is this machine's own setting and ``Factory`` a placeholder, neither a real zone.
    return frozenset(available_timezones()) - {"localtime", "Factory"}


def parse_zone(name: object) -> ZoneInfo:
    """The zone called ``name`` (an IANA name such as ``Europe/London``), or :class:`UnknownTimeZone`.

    Only names from the IANA database are accepted (not file paths, ``localtime`` or POSIX TZ strings).
    """
    if not isinstance(name, str) or not name or len(name) > 64:
        raise UnknownTimeZone(f"Unknown time zone {name!r}: use an IANA name such as 'Europe/London'.")
    if name not in _known_zone_names():
        raise UnknownTimeZone(f"Unknown time zone {name!r}: use an IANA name such as 'Europe/London'.")
    return ZoneInfo(name)


def ensure_utc(value: datetime, what: str = "datetime") -> datetime:
    """``value`` converted to UTC; a naive datetime is refused (``ValueError``), never guessed."""
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    return value.astimezone(UTC)


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """The naive wall-clock reading in ``zone`` at ``instant``."""
    return instant.astimezone(zone).replace(tzinfo=None)


def instants_at(zone: ZoneInfo, wall: datetime) -> tuple[datetime, ...]:
    """Every instant at which the clock in ``zone`` reads ``wall`` (naive), earliest first.

    ``()`` in a spring-forward gap, two instants in a fall-back repeated hour, one otherwise. Each candidate
    (``fold`` 0 and 1) is kept only if converting it back gives the same wall time.
    """
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if wall_time(instant, zone) == wall and instant not in found:
            found.append(instant)
    return tuple(sorted(found))


@dataclass(frozen=True)
class OffsetPiece:
    """``[start, end)`` in UTC during which ``zone`` keeps one UTC ``offset``."""

    start: datetime
    end: datetime
    offset: timedelta


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _first_change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant in ``(low, high]`` whose offset differs from ``low``'s (one change inside)."""
    before = _offset_at(zone, low)
    while high - low > _RESOLUTION:
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + _RESOLUTION
        if _offset_at(zone, middle) == before:
            low = middle
        else:
            high = middle
    return high


@lru_cache(maxsize=8192)
def offset_pieces(zone: ZoneInfo, start: datetime, end: datetime) -> tuple[OffsetPiece, ...]:
    """``[start, end)`` (UTC instants) cut where ``zone``'s UTC offset changes, in order."""
    samples: list[datetime] = []
    probe = start
    while probe < end:
        samples.append(probe)
        probe += _SAMPLE
    if end - _RESOLUTION > samples[-1]:
        samples.append(end - _RESOLUTION)
    pieces: list[OffsetPiece] = []
    piece_start, offset = start, _offset_at(zone, start)
    previous = start
    for sample in samples[1:]:
        sampled = _offset_at(zone, sample)
        if sampled != offset:
            change = _first_change(zone, previous, sample)
            pieces.append(OffsetPiece(piece_start, change, offset))
            piece_start, offset = change, sampled
        previous = sample
    pieces.append(OffsetPiece(piece_start, end, offset))
    return tuple(pieces)


def _pieces_around_wall(zone: ZoneInfo, wall_start: datetime, wall_end: datetime) -> tuple[OffsetPiece, ...]:
    """Offset pieces covering every instant whose wall time can lie in ``[wall_start, wall_end)``.

    The range is widened to whole local days so that repeated calls for one day share a cached result.
    """
    first_day = datetime.combine(wall_start.date(), time(0))
    last_day = datetime.combine(wall_end.date(), time(0))
    if last_day < wall_end:
        last_day += timedelta(days=1)
    low = first_day.replace(tzinfo=UTC) - _MAX_OFFSET
    high = last_day.replace(tzinfo=UTC) + _MAX_OFFSET
    return offset_pieces(zone, low, high)


def day_offset(zone: ZoneInfo, day: date) -> timedelta | None:
    """``zone``'s UTC offset if it is the same at every instant whose wall time lies on ``day``, else None.

    With one offset ``o`` all day, every wall time ``w`` of the day exists exactly once, at ``w - o``.
    """
    midnight = datetime.combine(day, time(0))
    pieces = _pieces_around_wall(zone, midnight, midnight + timedelta(days=1))
    return pieces[0].offset if len(pieces) == 1 else None


def instants_with_wall_time_in(zone: ZoneInfo, wall_start: datetime,
                               wall_end: datetime) -> tuple[tuple[datetime, datetime], ...]:
    """The instants at which ``zone``'s clock reads a wall time in ``[wall_start, wall_end)``.

    Returned as disjoint, ordered, half-open UTC intervals (touching ones merged). A spring-forward gap
    shortens the result; a fall-back repeated hour lengthens it (both occurrences count).
    """
    result: list[tuple[datetime, datetime]] = []
    for piece in _pieces_around_wall(zone, wall_start, wall_end):
        # During the piece, wall = instant + offset, so wall in [ws, we) <=> instant in [ws - o, we - o).
        low = max(piece.start, wall_start.replace(tzinfo=UTC) - piece.offset)
        high = min(piece.end, wall_end.replace(tzinfo=UTC) - piece.offset)
        if low >= high:
            continue
        if result and result[-1][1] >= low:
            result[-1] = (result[-1][0], max(result[-1][1], high))
        else:
            result.append((low, high))
    return tuple(result)


def first_instant_at_or_after(zone: ZoneInfo, wall: datetime) -> datetime:
    """The earliest instant at which ``zone``'s clock reads ``wall`` or later (``wall`` naive).

    Equal to the instant of ``wall`` when it exists (its first occurrence if repeated); when ``wall`` falls in
    a spring-forward gap, the instant the clock jumps over it.
    """
    best: datetime | None = None
    for piece in _pieces_around_wall(zone, wall, wall + timedelta(days=1)):
        candidate = max(piece.start, wall.replace(tzinfo=UTC) - piece.offset)
        if candidate < piece.end and (best is None or candidate < best):
            best = candidate
    assert best is not None
    return best


def local_days_range(day: date, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC range ``[start, end)`` covering ``days`` calendar days from ``day`` in ``zone``.

    ``start`` is the first instant of ``day`` in ``zone`` (local midnight, or the first instant after it if
    midnight does not exist that day) and ``end`` the first instant of the day after the last one. ``days``
    must be 1…:data:`MAX_QUERY_DAYS`.
    """
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_QUERY_DAYS:
        raise ValueError(f"days must be an integer from 1 to {MAX_QUERY_DAYS}")
    try:
        first = datetime.combine(day, time(0))
        start = first_instant_at_or_after(zone, first)
        end = first_instant_at_or_after(zone, first + timedelta(days=days))
    except OverflowError as error:
        raise ValueError(f"date out of range: {day}") from error
    return start, end


def iso_in_zone(instant: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 with the UTC offset ``zone`` had at ``instant`` (``2025-03-09T03:00:00-04:00``)."""
    return instant.astimezone(zone).isoformat()
