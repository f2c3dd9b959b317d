"""The partner's marketplaces: a card per integration and its buttons (test, pause/resume, delete)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import IntegrationAction, IntegrationCb, MenuAction, MenuCb
from bot.filters import IsRegistered
from bot.flow import abandon_flow, show
from bot.states import RulesFlow
from connectors.base import Marketplace
from db.models import IntegrationStatus, MarketplaceIntegration, Partner
from services import integrations
from services.catalog_sync import DriftPolicy
from services.integrations import settings_of
from services.platform import Platform
from services.stock import RULE_LIMITS, StockRules, channel_quantity


async def list_integrations(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
                            platform: Platform, i18n: I18nContext) -> None:
    await abandon_flow(state, session, partner)
    await query.answer()
    items = await integrations.list_for_partner(session, partner.id)
    if not items:
        await show(query, i18n.get("mps-empty"),
                   kb.rows([kb.button(i18n.get("btn-connect"), MenuCb(action=MenuAction.CONNECT))], kb.to_menu(i18n)))
        return
    cards = "\n\n".join(fmt.integration_card(i18n, partner, item) for item in items)
    buttons = [[kb.button(f"{fmt.STATUS_ICON.get(item.status, '')} {fmt.integration_title(i18n, item)}"[:60],
                          IntegrationCb(action=IntegrationAction.OPEN, id=item.id))] for item in items]
    buttons.append([kb.button(i18n.get("btn-connect"), MenuCb(action=MenuAction.CONNECT))])
    buttons.append(kb.to_menu(i18n))
    text = i18n.get("mps-title", count=len(items)) + "\n\n" + cards
    if len(text) > 3900:  # many shops: keep the list within Telegram's 4096 characters, cards open by button
        text = i18n.get("mps-title", count=len(items)) + "\n\n" + i18n.get("mps-open-hint")
    await show(query, text, kb.rows(*buttons))


async def load_integration(query: CallbackQuery, integration_id: str, session: AsyncSession, partner: Partner,
                           i18n: I18nContext) -> MarketplaceIntegration | None:
    """The integration if it is this partner's (a forged or stale id, or an unfinished draft, gets a clear refusal,
    nothing changes). Every screen of one integration opens with it: its card here, its dashboard, its sync."""
    integration = await integrations.get(session, partner.id, integration_id)
    if integration is None or integration.status == IntegrationStatus.DRAFT:
        await query.answer(i18n.get("not-found"), show_alert=True)
        return None
    return integration


async def _show_card(query: CallbackQuery, partner: Partner, integration: MarketplaceIntegration,
                     i18n: I18nContext, prefix: str = "") -> None:
    await show(query, prefix + fmt.integration_card(i18n, partner, integration),
               kb.integration_card(i18n, integration.id, paused=integration.status == IntegrationStatus.PAUSED))


async def open_card(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                    platform: Platform, i18n: I18nContext) -> None:
    if integration := await load_integration(query, callback_data.id, session, partner, i18n):
        await query.answer()
        await _show_card(query, partner, integration, i18n)


async def test_connection(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession,
                          partner: Partner, platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    await query.answer(i18n.get("test-running"))
    error = await integrations.retest(platform, session, integration)
    if error is None:
        prefix = i18n.get("test-ok") + "\n\n"
    else:
        prefix = fmt.connection_error(i18n, Marketplace(integration.marketplace), error) + "\n\n"
    await _show_card(query, partner, integration, i18n, prefix)


async def pause_resume(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                       platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    paused = callback_data.action == IntegrationAction.PAUSE
    await integrations.set_paused(session, integration, paused, actor=partner.telegram_id)
    await query.answer(i18n.get("paused" if paused else "resumed"))
    await _show_card(query, partner, integration, i18n)


async def delete_ask(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                     platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    await query.answer()
    await show(query, i18n.get("delete-confirm", title=fmt.esc(fmt.integration_title(i18n, integration))),
               kb.confirm_delete(i18n, integration.id))


async def delete_confirmed(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession,
                           partner: Partner, platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    title = fmt.integration_title(i18n, integration)
    await integrations.remove(session, integration, actor=partner.telegram_id)
    await query.answer(i18n.get("deleted"))
    await show(query, i18n.get("delete-done", title=fmt.esc(title)),
               kb.rows([kb.button(i18n.get("btn-marketplaces"), MenuCb(action=MenuAction.MARKETPLACES))], kb.to_menu(i18n)))


# ---- per-integration stock rules and the drift policy ----

RULE_KEYS = {"b": "buffer", "m": "max_quantity", "s": "share_percent", "f": "floor"}


def _rules_view(i18n: I18nContext, integration: MarketplaceIntegration):
    settings = settings_of(integration)
    rules = StockRules.from_settings(settings)
    policy = settings.get("drift_policy", DriftPolicy.PUSH_BACK)
    text = "\n".join([
        i18n.get("rules-title", title=fmt.esc(fmt.integration_title(i18n, integration))),
        i18n.get("rules-buffer", value=rules.buffer),
        i18n.get("rules-max", value=rules.max_quantity if rules.max_quantity is not None else "—"),
        i18n.get("rules-share", value=rules.share_percent),
        i18n.get("rules-floor", value=rules.floor),
        i18n.get("rules-example", stock=10, shown=channel_quantity(10, rules)),
        i18n.get("rules-drift-" + policy),
    ])
    cb = lambda action, arg="": IntegrationCb(action=action, id=integration.id, arg=arg)  # noqa: E731
    markup = kb.rows(
        [kb.button(i18n.get("btn-rule-buffer"), cb(IntegrationAction.SET_RULE, "b")), kb.button(i18n.get("btn-rule-max"), cb(IntegrationAction.SET_RULE, "m"))],
        [kb.button(i18n.get("btn-rule-share"), cb(IntegrationAction.SET_RULE, "s")), kb.button(i18n.get("btn-rule-floor"), cb(IntegrationAction.SET_RULE, "f"))],
        [kb.button(i18n.get("btn-drift-toggle"), cb(IntegrationAction.DRIFT))],
        [kb.button(i18n.get("btn-back"), cb(IntegrationAction.OPEN))],
    )
    return text, markup


async def rules(query: CallbackQuery, callback_data: IntegrationCb, state: FSMContext, session: AsyncSession,
                partner: Partner, platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    await state.set_state(None)
    await query.answer()
    await show(query, *_rules_view(i18n, integration))


async def toggle_drift(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                       platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None:
        return
    integrations.toggle_drift_policy(session, integration, actor=partner.telegram_id)
    await query.answer()
    await show(query, *_rules_view(i18n, integration))


async def rule_ask(query: CallbackQuery, callback_data: IntegrationCb, state: FSMContext, session: AsyncSession,
                   partner: Partner, platform: Platform, i18n: I18nContext) -> None:
    integration = await load_integration(query, callback_data.id, session, partner, i18n)
    if integration is None or callback_data.arg not in RULE_KEYS:
        if integration is not None:
            await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer()
    await state.set_state(RulesFlow.value)
    await state.update_data(integration_id=integration.id, rule=RULE_KEYS[callback_data.arg])
    await show(query, i18n.get("rules-ask-" + RULE_KEYS[callback_data.arg]),
               kb.rows([kb.button(i18n.get("btn-back"), IntegrationCb(action=IntegrationAction.RULES, id=integration.id))]))


async def rule_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                       platform: Platform, i18n: I18nContext) -> None:
    data = await state.get_data()
    integration = await integrations.get(session, partner.id, data.get("integration_id", ""))
    rule = data.get("rule")
    if integration is None or rule not in RULE_LIMITS:
        await state.set_state(None)
        await message.answer(i18n.get("not-found"))
        return
    text = message.text.strip()
    clearing = rule == "max_quantity" and text in ("-", "0", "—")
    try:
        if not clearing and not (text.isascii() and text.isdigit()):
            raise ValueError(text)
        await integrations.set_stock_rule(session, integration, rule, None if clearing else int(text),
                                          actor=partner.telegram_id)
    except ValueError:
        low, high = RULE_LIMITS[rule]
        await message.answer(i18n.get("rules-bad-value", low=low, high=high))
        return
    await state.set_state(None)
    text, markup = _rules_view(i18n, integration)
    await message.answer(i18n.get("rules-saved") + "\n\n" + text, reply_markup=markup)


def router() -> Router:
    r = Router(name="marketplaces")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(list_integrations, MenuCb.filter(F.action == MenuAction.MARKETPLACES))
    r.callback_query.register(open_card, IntegrationCb.filter(F.action == IntegrationAction.OPEN))
    r.callback_query.register(test_connection, IntegrationCb.filter(F.action == IntegrationAction.TEST))
    r.callback_query.register(
        pause_resume, IntegrationCb.filter(F.action.in_({IntegrationAction.PAUSE, IntegrationAction.RESUME})))
    r.callback_query.register(delete_ask, IntegrationCb.filter(F.action == IntegrationAction.DELETE))
    r.callback_query.register(delete_confirmed, IntegrationCb.filter(F.action == IntegrationAction.DELETE_CONFIRMED))
    r.callback_query.register(rules, IntegrationCb.filter(F.action == IntegrationAction.RULES))
    r.callback_query.register(toggle_drift, IntegrationCb.filter(F.action == IntegrationAction.DRIFT))
    r.callback_query.register(rule_ask, IntegrationCb.filter(F.action == IntegrationAction.SET_RULE))
    r.message.register(rule_entered, RulesFlow.value, F.text)
    return r
