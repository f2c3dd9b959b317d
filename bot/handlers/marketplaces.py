"""The partner's marketplaces: a card per integration and its buttons (test, pause/resume, delete)."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import keyboards as kb
from bot import views
from bot.callbacks import IntegrationCb, MenuCb
from bot.filters import IsRegistered
from bot.flow import abandon_flow, show
from connectors.base import Marketplace
from db.models import MarketplaceIntegration, Partner
from services.integrations import IntegrationService, Status

router = Router(name="marketplaces")
router.message.filter(IsRegistered())
router.callback_query.filter(IsRegistered())


@router.callback_query(MenuCb.filter(F.action == "mps"))
async def list_integrations(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
                            integrations: IntegrationService, i18n: I18nContext) -> None:
    await abandon_flow(state, session, partner)
    await query.answer()
    items = await integrations.list_for_partner(session, partner.id)
    if not items:
        await show(query, i18n.get("mps-empty"),
                   kb.rows([kb.button(i18n.get("btn-connect"), MenuCb(action="connect"))], kb.to_menu(i18n)))
        return
    cards = "\n\n".join(views.integration_card(i18n, partner, item) for item in items)
    buttons = [[kb.button(f"{views.STATUS_ICON.get(item.status, '')} {views.integration_title(i18n, item)}"[:60],
                          IntegrationCb(action="open", id=item.id))] for item in items]
    buttons.append([kb.button(i18n.get("btn-connect"), MenuCb(action="connect"))])
    buttons.append(kb.to_menu(i18n))
    text = i18n.get("mps-title", count=len(items)) + "\n\n" + cards
    if len(text) > 3900:  # many shops: keep the list within Telegram's 4096 characters, cards open by button
        text = i18n.get("mps-title", count=len(items)) + "\n\n" + i18n.get("mps-open-hint")
    await show(query, text, kb.rows(*buttons))


async def _load(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                integrations: IntegrationService, i18n: I18nContext) -> MarketplaceIntegration | None:
    """The integration if it is this partner's (a forged or stale id gets a clear refusal, nothing changes)."""
    integration = await integrations.get(session, partner.id, callback_data.id)
    if integration is None or integration.status == Status.DRAFT:
        await query.answer(i18n.get("not-found"), show_alert=True)
        return None
    return integration


async def _show_card(query: CallbackQuery, partner: Partner, integration: MarketplaceIntegration,
                     i18n: I18nContext, prefix: str = "") -> None:
    await show(query, prefix + views.integration_card(i18n, partner, integration),
               kb.integration_card(i18n, integration.id, paused=integration.status == Status.PAUSED))


@router.callback_query(IntegrationCb.filter(F.action == "open"))
async def open_card(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                    integrations: IntegrationService, i18n: I18nContext) -> None:
    if integration := await _load(query, callback_data, session, partner, integrations, i18n):
        await query.answer()
        await _show_card(query, partner, integration, i18n)


@router.callback_query(IntegrationCb.filter(F.action == "test"))
async def test_connection(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession,
                          partner: Partner, integrations: IntegrationService, i18n: I18nContext) -> None:
    integration = await _load(query, callback_data, session, partner, integrations, i18n)
    if integration is None:
        return
    await query.answer(i18n.get("test-running"))
    error = await integrations.retest(session, integration)
    if error is None:
        prefix = i18n.get("test-ok") + "\n\n"
    else:
        prefix = views.connection_error(i18n, Marketplace(integration.marketplace), error) + "\n\n"
    await _show_card(query, partner, integration, i18n, prefix)


@router.callback_query(IntegrationCb.filter(F.action.in_({"pause", "resume"})))
async def pause_resume(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                       integrations: IntegrationService, i18n: I18nContext) -> None:
    integration = await _load(query, callback_data, session, partner, integrations, i18n)
    if integration is None:
        return
    paused = callback_data.action == "pause"
    await integrations.set_paused(session, integration, paused, actor=partner.telegram_id)
    await query.answer(i18n.get("paused" if paused else "resumed"))
    await _show_card(query, partner, integration, i18n)


@router.callback_query(IntegrationCb.filter(F.action == "delete"))
async def delete_ask(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession, partner: Partner,
                     integrations: IntegrationService, i18n: I18nContext) -> None:
    integration = await _load(query, callback_data, session, partner, integrations, i18n)
    if integration is None:
        return
    await query.answer()
    await show(query, i18n.get("delete-confirm", title=views.esc(views.integration_title(i18n, integration))),
               kb.confirm_delete(i18n, integration.id))


@router.callback_query(IntegrationCb.filter(F.action == "delete_yes"))
async def delete_confirmed(query: CallbackQuery, callback_data: IntegrationCb, session: AsyncSession,
                           partner: Partner, integrations: IntegrationService, i18n: I18nContext) -> None:
    integration = await _load(query, callback_data, session, partner, integrations, i18n)
    if integration is None:
        return
    title = views.integration_title(i18n, integration)
    await integrations.delete(session, integration, actor=partner.telegram_id)
    await query.answer(i18n.get("deleted"))
    await show(query, i18n.get("delete-done", title=views.esc(title)),
               kb.rows([kb.button(i18n.get("btn-marketplaces"), MenuCb(action="mps"))], kb.to_menu(i18n)))
