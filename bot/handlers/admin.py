"""Admin commands: stats, the platform chart, partners, invites, failing integrations, API configs, the audit log
(broadcasts: bot/handlers/broadcasts.py). The whole router sits behind IsAdmin, checked on every message and
callback."""
from __future__ import annotations

import time

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram_i18n import I18nContext
from aiogram_i18n.exceptions import KeyNotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import charts
from bot import formatting as fmt
from bot import keyboards as kb
from bot.admin_charts import PlatformChart, platform_chart
from bot.callbacks import (
    AdminAction,
    AdminCb,
    AdminStatsAction,
    AdminStatsCb,
    AuditAction,
    AuditCb,
    BroadcastAction,
    BroadcastCb,
    MenuAction,
    MenuCb,
)
from bot.filters import IsAdmin, IsRegistered
from bot.flow import show
from bot.states import AdminFlow
from connectors.base import Marketplace
from db.models import Partner
from db.vault import masked_from_hint
from services import admin as admin_service
from services import audit
from services import partners as partner_service
from services.platform import Platform

MAX_RATE_LIMIT = 10_000


def _home_keyboard(i18n: I18nContext):
    return kb.rows(
        [kb.button(i18n.get("btn-admin-partners"), AdminCb(action=AdminAction.PARTNERS, arg="0")),
         kb.button(i18n.get("btn-admin-failing"), AdminCb(action=AdminAction.FAILING))],
        [kb.button(i18n.get("btn-admin-invite"), AdminCb(action=AdminAction.INVITE)),
         kb.button(i18n.get("btn-admin-configs"), AdminCb(action=AdminAction.CONFIGS))],
        [kb.button(i18n.get("admin-btn-stats"), AdminStatsCb(action=AdminStatsAction.SHOW)),
         kb.button(i18n.get("admin-btn-broadcasts"), BroadcastCb(action=BroadcastAction.LIST))],
        [kb.button(i18n.get("admin-btn-audit"), AuditCb(action=AuditAction.PAGE, page=0))],
        kb.to_menu(i18n),
    )


def back_home(i18n: I18nContext):
    return [kb.button(i18n.get("btn-back"), AdminCb(action=AdminAction.HOME))]


async def _home_text(session: AsyncSession, i18n: I18nContext) -> str:
    stats = await admin_service.stats(session)
    lines = [i18n.get("admin-title"), i18n.get("admin-partners-count", count=stats.partners)]
    if not stats.by_marketplace:
        lines.append(i18n.get("admin-no-integrations"))
    for marketplace in kb.MARKETPLACE_ORDER:
        counts = stats.by_marketplace.get(marketplace.value)
        if counts:
            parts = ", ".join(f"{i18n.get('status-' + s)}: {n}" for s, n in sorted(counts.items()))
            lines.append(f"• {i18n.get('mp-' + marketplace.value)} — {parts}")
    return "\n".join(lines)


async def admin_command(message: Message, state: FSMContext, session: AsyncSession, i18n: I18nContext) -> None:
    await state.clear()
    await message.answer(await _home_text(session, i18n), reply_markup=_home_keyboard(i18n))


async def admin_home(query: CallbackQuery, state: FSMContext, session: AsyncSession, i18n: I18nContext) -> None:
    await state.clear()
    await query.answer()
    await show(query, await _home_text(session, i18n), _home_keyboard(i18n))


async def partners_list(query: CallbackQuery, callback_data: AdminCb, session: AsyncSession, partner: Partner | None,
                        i18n: I18nContext) -> None:
    page = int(callback_data.arg) if callback_data.arg.isdigit() else 0
    rows, pages = await admin_service.partners_page(session, page)
    page = min(page, pages - 1)
    await query.answer()
    lines = [i18n.get("admin-partners-title", page=page + 1, pages=pages)]
    for n, row in enumerate(rows, start=page * admin_service.PAGE_SIZE + 1):
        p = row.partner
        handle = f" @{fmt.esc(p.username)}" if p.username else ""
        lines.append(i18n.get("admin-partner-line", n=n, name=fmt.esc(p.name or "—"), handle=handle,
                              tgid=p.telegram_id, lang=p.language, integrations=row.integrations,
                              status=i18n.get("partner-status-" + p.status),
                              joined=fmt.local_date(partner, p.created_at)))
    nav = []
    if page > 0:
        nav.append(kb.button("◀️", AdminCb(action=AdminAction.PARTNERS, arg=str(page - 1))))
    if page < pages - 1:
        nav.append(kb.button("▶️", AdminCb(action=AdminAction.PARTNERS, arg=str(page + 1))))
    await show(query, "\n".join(lines), kb.rows(nav, back_home(i18n)))


async def failing(query: CallbackQuery, session: AsyncSession, partner: Partner | None, i18n: I18nContext) -> None:
    await query.answer()
    items = await admin_service.failing_integrations(session)
    if not items:
        await show(query, i18n.get("admin-failing-none"), kb.rows(back_home(i18n)))
        return
    lines = [i18n.get("admin-failing-title", count=len(items))]
    for integration, owner in items:
        lines.append(i18n.get(
            "admin-failing-line", title=fmt.esc(fmt.integration_title(i18n, integration)),
            owner=fmt.esc(owner.name or str(owner.telegram_id)), tgid=owner.telegram_id,
            error=i18n.get("error-" + (integration.last_error or "bad_response")), streak=integration.failure_streak,
            checked=fmt.local_time(partner, integration.last_check_at), key=masked_from_hint(integration.key_hint)))
    await show(query, "\n\n".join(lines)[:4000], kb.rows(back_home(i18n)))


async def create_invite(query: CallbackQuery, session: AsyncSession, bot: Bot, partner: Partner | None,
                        i18n: I18nContext) -> None:
    invite = await partner_service.create_invite(session, admin_telegram_id=query.from_user.id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start={invite.code}"
    await query.answer()
    await show(query, i18n.get("admin-invite-created", link=link, code=invite.code,
                               expires=fmt.local_date(partner, invite.expires_at)),
               kb.rows([kb.button(i18n.get("btn-admin-invite-another"), AdminCb(action=AdminAction.INVITE))], back_home(i18n)))


# ---- the platform stats chart ----

def _stats_caption(i18n: I18nContext, stats: admin_service.PlatformStats) -> str:
    lines = [i18n.get("admin-stats-title"),
             i18n.get("admin-stats-active", day=stats.active[1], week=stats.active[7], month=stats.active[30],
                      total=stats.partners)]
    if not stats.integrations:
        lines.append(i18n.get("admin-no-integrations"))
    for marketplace in kb.MARKETPLACE_ORDER:
        counts = stats.integrations.get(marketplace.value)
        if counts:
            lines.append(i18n.get("admin-stats-integrations", marketplace=i18n.get("mp-" + marketplace.value),
                                  total=counts.total, failing=counts.failing))
    today = sum(counts[-1] for counts in stats.orders.values())
    lines += [i18n.get("admin-stats-orders", days=admin_service.ORDER_DAYS, total=stats.orders_total, today=today),
              i18n.get("admin-stats-alerts", days=admin_service.ALERT_DAYS, sent=stats.alerts_sent,
                       failed=stats.alerts_failed, blocked=stats.alerts_blocked),
              i18n.get("admin-stats-backlog", count=stats.backlog)]
    return "\n".join(lines)


def _stats_chart(i18n: I18nContext, stats: admin_service.PlatformStats) -> PlatformChart:
    order = [m.value for m in kb.MARKETPLACE_ORDER]
    marketplaces = sorted(stats.orders, key=lambda m: order.index(m) if m in order else len(order))
    return PlatformChart(
        title=i18n.get("admin-chart-orders"), days=[d.strftime("%d.%m") for d in stats.days],
        orders={m: stats.orders[m] for m in marketplaces}, names={m: i18n.get("mp-" + m) for m in order},
        active_title=i18n.get("admin-chart-active"),
        active=[(i18n.get("admin-chart-days", days=days), stats.active[days]) for days in admin_service.ACTIVE_WINDOWS]
        + [(i18n.get("admin-chart-all"), stats.partners)])


async def platform_stats(query: CallbackQuery, session: AsyncSession, partner: Partner | None,
                         i18n: I18nContext) -> None:
    """The stats as a chart photo with the figures in its caption; "refresh" redraws that photo in place."""
    await query.answer()
    stats = await admin_service.platform_stats(session, time.time(), partner.timezone if partner else None)
    picture = await charts.draw(platform_chart, _stats_chart(i18n, stats))
    photo = BufferedInputFile(picture, filename="platform.png")
    caption = _stats_caption(i18n, stats)
    markup = kb.rows([kb.button(i18n.get("admin-btn-refresh"), AdminStatsCb(action=AdminStatsAction.SHOW))],
                     back_home(i18n))
    message = query.message
    if getattr(message, "photo", None):
        try:
            await message.edit_media(InputMediaPhoto(media=photo, caption=caption), reply_markup=markup)
            return
        except TelegramAPIError:  # too old to edit (or a server without editMessageMedia): a new photo instead
            pass
    await message.answer_photo(photo, caption=caption, reply_markup=markup)


# ---- the audit log ----

def _audit_action(i18n: I18nContext, action: str) -> str:
    try:
        return i18n.get("admin-audit-action-" + action.replace(".", "-").replace("_", "-"))
    except KeyNotFoundError:  # an action without a text yet: its code
        return f"<code>{fmt.esc(action)}</code>"


def _audit_line(i18n: I18nContext, viewer: Partner | None, item: audit.Entry) -> str:
    entry = item.entry
    if entry.actor_telegram_id is None:
        who = i18n.get("admin-audit-system")
    else:
        who = i18n.get("admin-audit-actor", name=fmt.esc((item.actor_name or "—")[:AUDIT_NAME_MAX]), tgid=str(entry.actor_telegram_id))
    what = _audit_action(i18n, entry.action)
    if entry.object_type:
        what += f" · {fmt.esc(entry.object_type)}"
        if entry.object_id:
            what += f" <code>{fmt.esc(entry.object_id[:AUDIT_ID_MAX])}</code>"
    if entry.partner_id and item.partner_name and item.partner_name != item.actor_name:
        what += " · " + i18n.get("admin-audit-for", name=fmt.esc(item.partner_name[:AUDIT_NAME_MAX]))
    details = ", ".join(f"{k}={v}" for k, v in sorted(item.details.items()))
    if details:
        what += "\n" + fmt.esc(details[:AUDIT_DETAILS_MAX])
    return i18n.get("admin-audit-line", when=fmt.local_time(viewer, entry.at), who=who, what=what)


AUDIT_ID_MAX = 36
AUDIT_DETAILS_MAX = 160
AUDIT_NAME_MAX = 40
AUDIT_TEXT_MAX = 3900


async def audit_log(query: CallbackQuery, callback_data: AuditCb, session: AsyncSession, partner: Partner | None,
                    i18n: I18nContext) -> None:
    entries, pages = await audit.page(session, callback_data.page)
    page = min(max(callback_data.page, 0), pages - 1)
    await query.answer()
    lines = [i18n.get("admin-audit-title", page=page + 1, pages=pages)]
    if not entries:
        lines.append(i18n.get("admin-audit-empty"))
    size = len(lines[0])
    for item in entries:  # whole entries only, under Telegram's limit (never a cut inside a tag)
        line = _audit_line(i18n, partner, item)
        size += len(line) + 2
        if size > AUDIT_TEXT_MAX:
            break
        lines.append(line)
    nav = []
    if page > 0:
        nav.append(kb.button("◀️", AuditCb(action=AuditAction.PAGE, page=page - 1)))
    if page < pages - 1:
        nav.append(kb.button("▶️", AuditCb(action=AuditAction.PAGE, page=page + 1)))
    await show(query, "\n\n".join(lines), kb.rows(nav, back_home(i18n)))


# ---- marketplace API configs ----

async def _configs_view(session: AsyncSession, platform: Platform, i18n: I18nContext):
    configs = await admin_service.api_configs(session)
    lines = [i18n.get("admin-configs-title")]
    buttons = []
    for config in configs:
        marketplace = Marketplace(config.marketplace)
        effective = await platform.connectors.base_url(session, marketplace)
        source = i18n.get("admin-config-source-admin") if config.is_override else i18n.get("admin-config-source-env")
        rate = config.rate_limit if config.rate_limit else i18n.get("admin-config-rate-default")
        lines.append(i18n.get("admin-config-line", marketplace=i18n.get("mp-" + config.marketplace),
                              url=fmt.esc(effective), source=source, rate=rate, auth=config.auth_type))
        buttons.append([kb.button(i18n.get("mp-" + config.marketplace), AdminCb(action=AdminAction.CONFIG, arg=config.marketplace))])
    buttons.append(back_home(i18n))
    return "\n\n".join(lines), kb.rows(*buttons)


def _config_keyboard(i18n: I18nContext, marketplace: str):
    return kb.rows(
        [kb.button(i18n.get("btn-admin-cfg-url"), AdminCb(action=AdminAction.CONFIG_URL, arg=marketplace)),
         kb.button(i18n.get("btn-admin-cfg-rate"), AdminCb(action=AdminAction.CONFIG_RATE, arg=marketplace))],
        [kb.button(i18n.get("btn-admin-cfg-reset"), AdminCb(action=AdminAction.CONFIG_RESET, arg=marketplace))],
        [kb.button(i18n.get("btn-back"), AdminCb(action=AdminAction.CONFIGS))],
    )


async def configs(query: CallbackQuery, state: FSMContext, session: AsyncSession, platform: Platform,
                  i18n: I18nContext) -> None:
    await state.clear()
    await query.answer()
    text, markup = await _configs_view(session, platform, i18n)
    await show(query, text, markup)


def _marketplace_arg(value: str) -> Marketplace | None:
    try:
        return Marketplace(value)
    except ValueError:
        return None


async def _config_text(session: AsyncSession, platform: Platform, i18n: I18nContext,
                       marketplace: Marketplace) -> str:
    config = await admin_service.api_config(session, marketplace)
    effective = await platform.connectors.base_url(session, marketplace)
    source = i18n.get("admin-config-source-admin") if config.is_override else i18n.get("admin-config-source-env")
    rate = config.rate_limit if config.rate_limit else i18n.get("admin-config-rate-default")
    return i18n.get("admin-config-line", marketplace=i18n.get("mp-" + marketplace.value), url=fmt.esc(effective),
                    source=source, rate=rate, auth=config.auth_type) + "\n" + i18n.get(
        "admin-config-docs", docs=fmt.esc(config.documentation or "—"))


async def config_card(query: CallbackQuery, callback_data: AdminCb, state: FSMContext, session: AsyncSession,
                      platform: Platform, i18n: I18nContext) -> None:
    marketplace = _marketplace_arg(callback_data.arg)
    if marketplace is None:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await state.clear()
    await query.answer()
    await show(query, await _config_text(session, platform, i18n, marketplace), _config_keyboard(i18n, marketplace.value))


async def config_ask(query: CallbackQuery, callback_data: AdminCb, state: FSMContext, i18n: I18nContext) -> None:
    marketplace = _marketplace_arg(callback_data.arg)
    if marketplace is None:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer()
    await state.set_data({"marketplace": marketplace.value})
    if callback_data.action == AdminAction.CONFIG_URL:
        await state.set_state(AdminFlow.base_url)
        prompt = i18n.get("admin-ask-url-wildberries" if marketplace is Marketplace.WILDBERRIES else "admin-ask-url")
    else:
        await state.set_state(AdminFlow.rate_limit)
        prompt = i18n.get("admin-ask-rate")
    await show(query, prompt, kb.rows([kb.button(i18n.get("btn-cancel"), AdminCb(action=AdminAction.CONFIG, arg=marketplace.value))]))


async def config_reset(query: CallbackQuery, callback_data: AdminCb, session: AsyncSession,
                       platform: Platform, i18n: I18nContext) -> None:
    marketplace = _marketplace_arg(callback_data.arg)
    if marketplace is None:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await admin_service.set_base_url(session, marketplace, None, actor=query.from_user.id)
    await admin_service.set_rate_limit(session, marketplace, None, actor=query.from_user.id)
    await query.answer(i18n.get("admin-config-saved"))
    await show(query, await _config_text(session, platform, i18n, marketplace), _config_keyboard(i18n, marketplace.value))


async def base_url_entered(message: Message, state: FSMContext, session: AsyncSession, platform: Platform,
                           i18n: I18nContext) -> None:
    marketplace = Marketplace((await state.get_data())["marketplace"])
    url = message.text.strip()
    if not admin_service.valid_base_url(marketplace, url):
        key = "admin-bad-url-wildberries" if marketplace is Marketplace.WILDBERRIES else "admin-bad-url"
        await message.answer(i18n.get(key), reply_markup=_config_keyboard(i18n, marketplace.value))
        return
    await admin_service.set_base_url(session, marketplace, url, actor=message.from_user.id)
    await state.clear()
    await message.answer(i18n.get("admin-config-saved") + "\n\n" + await _config_text(session, platform, i18n, marketplace),
                         reply_markup=_config_keyboard(i18n, marketplace.value))


async def rate_entered(message: Message, state: FSMContext, session: AsyncSession, platform: Platform,
                       i18n: I18nContext) -> None:
    marketplace = Marketplace((await state.get_data())["marketplace"])
    text = message.text.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_RATE_LIMIT:
        await message.answer(i18n.get("admin-bad-rate", max=MAX_RATE_LIMIT),
                             reply_markup=_config_keyboard(i18n, marketplace.value))
        return
    await admin_service.set_rate_limit(session, marketplace, int(text), actor=message.from_user.id)
    await state.clear()
    await message.answer(i18n.get("admin-config-saved") + "\n\n" + await _config_text(session, platform, i18n, marketplace),
                         reply_markup=_config_keyboard(i18n, marketplace.value))


def router() -> Router:
    r = Router(name="admin")
    r.message.filter(IsAdmin(), IsRegistered())
    r.callback_query.filter(IsAdmin(), IsRegistered())
    r.message.register(admin_command, Command("admin"))
    r.callback_query.register(admin_home, MenuCb.filter(F.action == MenuAction.ADMIN))
    r.callback_query.register(admin_home, AdminCb.filter(F.action == AdminAction.HOME))
    r.callback_query.register(partners_list, AdminCb.filter(F.action == AdminAction.PARTNERS))
    r.callback_query.register(failing, AdminCb.filter(F.action == AdminAction.FAILING))
    r.callback_query.register(create_invite, AdminCb.filter(F.action == AdminAction.INVITE))
    r.callback_query.register(configs, AdminCb.filter(F.action == AdminAction.CONFIGS))
    r.callback_query.register(platform_stats, AdminStatsCb.filter(F.action == AdminStatsAction.SHOW))
    r.callback_query.register(audit_log, AuditCb.filter(F.action == AuditAction.PAGE))
    r.callback_query.register(config_card, AdminCb.filter(F.action == AdminAction.CONFIG))
    r.callback_query.register(
        config_ask, AdminCb.filter(F.action.in_({AdminAction.CONFIG_URL, AdminAction.CONFIG_RATE})))
    r.callback_query.register(config_reset, AdminCb.filter(F.action == AdminAction.CONFIG_RESET))
    r.message.register(base_url_entered, AdminFlow.base_url, F.text)
    r.message.register(rate_entered, AdminFlow.rate_limit, F.text)
    return r
