"""The sync dashboard of one integration (from its card, "📊 Sync status"): the last runs of each kind with
counts and errors, when the scheduled kinds run next, the order-poll interval (changeable), and "Retry now"
for the order poll and the catalog sync (due at once: the scheduler starts it within a second)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import DashAction, DashCb, IntegrationAction, IntegrationCb
from bot.filters import IsRegistered
from bot.flow import show
from bot.handlers.marketplaces import load_integration
from connectors.base import ErrorCause
from db.models import (
    IntegrationStatus,
    MarketplaceIntegration,
    Partner,
    Schedule,
    SyncRun,
)
from services import integrations
from services.jobs import JobKind, schedule
from services.jobs.runs import last_runs
from services.platform import Platform

KINDS = (JobKind.ORDERS, JobKind.CATALOG, JobKind.STOCK_PUSH, JobKind.PRICE_PUSH, JobKind.RECONCILE, JobKind.FINANCE)
RUNS_SHOWN = 3
RETRYABLE = (JobKind.ORDERS, JobKind.CATALOG)
STATUS_ICON = {"ok": "✅", "partial": "⚠️", "failed": "❌", "running": "⏳"}
CAUSES = {c.value for c in ErrorCause}


def kind_title(i18n: I18nContext, kind: str) -> str:
    return i18n.get(f"dash-kind-{kind}") if kind in set(JobKind) else fmt.esc(kind)


def every(i18n: I18nContext, seconds: int) -> str:
    if seconds % 86400 == 0:
        return i18n.get("dash-every-days", days=seconds // 86400)
    if seconds % 3600 == 0:
        return i18n.get("dash-every-hours", hours=seconds // 3600)
    return i18n.get("dash-every-minutes", minutes=max(1, seconds // 60))


def _counts(i18n: I18nContext, run: SyncRun) -> str:
    c = run.counts_data
    n = lambda key: c.get(key, 0) if isinstance(c.get(key, 0), int) else 0  # noqa: E731
    if run.kind == JobKind.ORDERS:
        return i18n.get("dash-counts-orders", new=n("new"), changed=n("changed"), cancelled=n("cancelled"),
                        baseline=n("baseline"))
    if run.kind == JobKind.CATALOG:
        return i18n.get("dash-counts-catalog", seen=n("seen"), created=n("created_products"),
                        unmatched=n("unmatched"))
    if run.kind in (JobKind.STOCK_PUSH, JobKind.PRICE_PUSH):
        return i18n.get("dash-counts-push", sent=n("sent"), accepted=n("accepted"), rejected=n("rejected"))
    if run.kind == JobKind.RECONCILE:
        return i18n.get("dash-counts-reconcile", checked=n("checked"), differing=n("differing"))
    if run.kind == JobKind.FINANCE:
        return i18n.get("dash-counts-finance", read=n("read"), added=n("added"), changed=n("changed"))
    return ""


def _run_line(i18n: I18nContext, partner: Partner, run: SyncRun, details: bool = True) -> str:
    statuses = {"ok": i18n.get("dash-run-ok"), "partial": i18n.get("dash-run-partial"),
                "failed": i18n.get("dash-run-failed"), "running": i18n.get("dash-run-running")}
    line = f"  {STATUS_ICON.get(run.status, '•')} {fmt.local_time(partner, run.started_at)} · " \
           f"{statuses.get(run.status, fmt.esc(run.status))}"
    if run.status == "failed":
        if run.error in CAUSES:
            line += " — " + i18n.get("error-" + run.error)
        elif run.error:
            line += " — " + i18n.get("dash-run-error-other", code=fmt.esc(run.error[:60]))
        if run.error_detail and details:
            line += " " + i18n.get("error-detail", detail=fmt.esc(run.error_detail[:150]))
    elif run.status != "running":
        counts = _counts(i18n, run)
        if counts:
            line += " — " + counts
    return line


def _schedule_line(i18n: I18nContext, partner: Partner, schedule: Schedule, paused: bool) -> str:
    text = i18n.get("dash-schedule", every=every(i18n, schedule.interval_seconds),
                    next=i18n.get("dash-paused") if paused else fmt.local_time(partner, schedule.next_run_at))
    if schedule.last_ok_at:
        text += " · " + i18n.get("dash-last-ok", time=fmt.local_time(partner, schedule.last_ok_at))
    return text


async def _text(session: AsyncSession, partner: Partner, i18n: I18nContext, integration: MarketplaceIntegration,
                plan: dict[str, Schedule], runs_shown: int, details: bool) -> str:
    paused = integration.status == IntegrationStatus.PAUSED
    lines = [i18n.get("dash-title", title=fmt.esc(fmt.integration_title(i18n, integration)))]
    for kind in KINDS:
        lines.append("")
        header = f"<b>{kind_title(i18n, kind)}</b>"
        if kind in plan:
            header += " — " + _schedule_line(i18n, partner, plan[kind], paused)
        lines.append(header)
        runs = await last_runs(session, integration.id, kind, limit=runs_shown)
        lines += [_run_line(i18n, partner, run, details) for run in runs] or ["  " + i18n.get("dash-no-runs")]
    return "\n".join(lines) + "\n\n" + i18n.get("dash-interval-ask")


async def _view(session: AsyncSession, partner: Partner, i18n: I18nContext, integration: MarketplaceIntegration):
    plan = await schedule.of(session, integration.id)
    text = await _text(session, partner, i18n, integration, plan, RUNS_SHOWN, True)
    if len(text) > 4000:  # long marketplace error texts: the latest run of each kind, causes only
        text = await _text(session, partner, i18n, integration, plan, 1, False)

    current = plan["orders"].interval_seconds if "orders" in plan else schedule.DEFAULT_INTERVALS["orders"]
    cb = lambda action, arg="": DashCb(action=action, id=integration.id, arg=arg)  # noqa: E731
    intervals = [kb.button(("✅ " if s == current else "") + i18n.get("btn-dash-minutes", minutes=s // 60),
                           cb(DashAction.EVERY, str(s)))
                 for s in schedule.ORDER_INTERVALS]
    markup = kb.rows(
        intervals,
        [kb.button(i18n.get("btn-dash-run-orders"), cb(DashAction.RUN, "orders")),
         kb.button(i18n.get("btn-dash-run-catalog"), cb(DashAction.RUN, "catalog"))],
        [kb.button(i18n.get("btn-dash-refresh"), cb(DashAction.OPEN))],
        [kb.button(i18n.get("btn-back"), IntegrationCb(action=IntegrationAction.OPEN, id=integration.id))],
    )
    return text, markup


async def open_dashboard(query: CallbackQuery, callback_data: DashCb, session: AsyncSession, partner: Partner,
                         platform: Platform, i18n: I18nContext) -> None:
    if integration := await load_integration(query, callback_data.id, session, partner, i18n):
        await query.answer()
        await show(query, *await _view(session, partner, i18n, integration))


async def set_poll_interval(query: CallbackQuery, callback_data: DashCb, session: AsyncSession, partner: Partner,
                            platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    seconds = int(callback_data.arg) if callback_data.arg.isdigit() else 0
    try:
        await integrations.set_order_poll_interval(session, integration, seconds, actor=partner.telegram_id)
    except ValueError:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer(i18n.get("dash-interval-set", every=every(i18n, seconds)))
    await show(query, *await _view(session, partner, i18n, integration))


async def retry_now(query: CallbackQuery, callback_data: DashCb, session: AsyncSession, partner: Partner,
                    platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    if callback_data.arg not in RETRYABLE:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    if integration.status == IntegrationStatus.PAUSED:
        await query.answer(i18n.get("sync-paused"), show_alert=True)
        return
    await integrations.run_soon(session, integration, JobKind(callback_data.arg))
    await query.answer(i18n.get("dash-run-queued", kind=kind_title(i18n, callback_data.arg)))
    await show(query, *await _view(session, partner, i18n, integration))


def router() -> Router:
    r = Router(name="dashboard")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(open_dashboard, DashCb.filter(F.action == DashAction.OPEN))
    r.callback_query.register(set_poll_interval, DashCb.filter(F.action == DashAction.EVERY))
    r.callback_query.register(retry_now, DashCb.filter(F.action == DashAction.RUN))
    return r
