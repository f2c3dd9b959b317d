"""The partner's say over their alerts: muted kinds, quiet hours (in their time zone), the low-stock threshold, the
"runs out in N days" horizon and when the daily summary comes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import StrEnum
from zoneinfo import ZoneInfo

from db.models import DEFAULT_TIMEZONE, JsonText
from services.outbox.records import MUTABLE

DEFAULT_LOW_STOCK = 3
DEFAULT_RUNS_OUT_DAYS = 7
DEFAULT_SUMMARY_AT = 9 * 60  # minutes after midnight, the partner's time


class SummaryMode(StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"  # Mondays, about the week before


@dataclass(frozen=True)
class Prefs:
    muted: frozenset[str] = frozenset()
    quiet: tuple[int, int] | None = None  # (from hour, to hour) in the partner's timezone, e.g. (22, 8)
    low_stock: int = DEFAULT_LOW_STOCK
    runs_out_days: int = DEFAULT_RUNS_OUT_DAYS
    summary: SummaryMode = SummaryMode.DAILY
    summary_at: int = DEFAULT_SUMMARY_AT

    def to_json(self) -> str:
        return JsonText.dump({"muted": sorted(self.muted), "quiet": list(self.quiet) if self.quiet else None,
                              "low_stock": self.low_stock, "runs_out_days": self.runs_out_days,
                              "summary": self.summary.value, "summary_at": self.summary_at})


def prefs_of(owner) -> Prefs:
    """The prefs of a partner (or an outbox Recipient): anything unreadable falls back to the defaults."""
    data = JsonText.load(owner.notification_prefs, {})
    if not isinstance(data, dict):
        return Prefs()
    quiet = data.get("quiet")
    try:
        return Prefs(
            muted=frozenset(k for k in data.get("muted", []) if k in MUTABLE),
            quiet=(int(quiet[0]) % 24, int(quiet[1]) % 24) if isinstance(quiet, list) and len(quiet) == 2 else None,
            low_stock=int(data.get("low_stock", DEFAULT_LOW_STOCK)),
            runs_out_days=int(data.get("runs_out_days", DEFAULT_RUNS_OUT_DAYS)),
            summary=SummaryMode(data.get("summary", SummaryMode.DAILY)),
            summary_at=int(data.get("summary_at", DEFAULT_SUMMARY_AT)) % (24 * 60),
        )
    except (TypeError, ValueError):
        return Prefs()


def zone(name: str | None) -> ZoneInfo:
    """A partner's time zone; an unknown name in old data is the default."""
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def quiet_until(timezone_name: str | None, quiet: tuple[int, int] | None, now: float) -> int | None:
    """If `now` is in the quiet hours (from_hour..to_hour in that time zone, may span midnight): the unix time they
    end; else None. Equal hours mean no quiet hours."""
    if not quiet or quiet[0] == quiet[1]:
        return None
    start, end = quiet
    tz = zone(timezone_name)
    local = datetime.fromtimestamp(now, timezone.utc).astimezone(tz)
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    naive = local.replace(tzinfo=None, hour=end, minute=0, second=0, microsecond=0)
    if naive <= local.replace(tzinfo=None):
        naive += timedelta(days=1)
    return int(naive.replace(tzinfo=tz).timestamp())
