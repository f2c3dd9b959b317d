"""Connect a marketplace account (and replace the keys of one): choose marketplace → how to get the key →
each credential in its own step → test → pick a shop / warehouse if several → saved encrypted, active.

The message holding a secret is deleted as soon as it is read, before anything else happens. Secrets are never
put in FSM storage: after a successful test they are encrypted into a draft integration whose id the FSM keeps.
"""
from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import formatting as fmt
from bot import keyboards as kb
from bot.callbacks import (
    ConnectAction,
    ConnectCb,
    IntegrationAction,
    IntegrationCb,
    MenuAction,
    MenuCb,
)
from bot.filters import IsRegistered
from bot.flow import abandon_flow, show
from bot.log import remember_secret
from bot.states import ConnectFlow
from connectors import profile
from connectors.base import ConnectorError, CredentialField, Credentials, Marketplace
from db.models import IntegrationStatus, MarketplaceIntegration, Partner
from services import integrations
from services.integrations import AlreadyConnected, OtherAccount, discard_draft
from services.key_formats import check_api_key, check_client_id, normalize
from services.platform import Platform

log = logging.getLogger(__name__)


def _marketplace(data: dict) -> Marketplace:
    return Marketplace(data["marketplace"])


def _asks_client_id(marketplace: Marketplace) -> bool:
    """Whether this marketplace's keys come with a client id typed first (Ozon's Client-Id)."""
    return CredentialField.CLIENT_ID in profile(marketplace).credentials


# ---- entering the flow ----

async def choose_marketplace(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
                             i18n: I18nContext) -> None:
    await abandon_flow(state, session, partner)
    await query.answer()
    await show(query, i18n.get("connect-choose"), kb.marketplaces_choice(i18n))


async def marketplace_chosen(query: CallbackQuery, callback_data: ConnectCb, state: FSMContext,
                             i18n: I18nContext) -> None:
    if callback_data.value not in {m.value for m in Marketplace}:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer()
    await state.set_data({"marketplace": callback_data.value})
    await _ask_first_credential(query, state, i18n, Marketplace(callback_data.value))


async def _ask_first_credential(target, state: FSMContext, i18n: I18nContext, marketplace: Marketplace) -> None:
    howto = i18n.get(f"connect-howto-{marketplace.value}")
    if _asks_client_id(marketplace):
        await state.set_state(ConnectFlow.client_id)
        await show(target, howto + "\n\n" + i18n.get("connect-ask-client-id"), kb.back_cancel(i18n))
    else:
        await state.set_state(ConnectFlow.api_key)
        await show(target, howto + "\n\n" + i18n.get(f"connect-ask-key-{marketplace.value}"), kb.back_cancel(i18n))


async def _ask_key(target, state: FSMContext, i18n: I18nContext, marketplace: Marketplace) -> None:
    await state.set_state(ConnectFlow.api_key)
    await show(target, i18n.get(f"connect-ask-key-{marketplace.value}"), kb.back_cancel(i18n))


async def replace_keys_start(query: CallbackQuery, callback_data: IntegrationCb, state: FSMContext,
                             session: AsyncSession, partner: Partner, platform: Platform,
                             i18n: I18nContext) -> None:
    integration = await integrations.get(session, partner.id, callback_data.id)
    if integration is None:
        await query.answer(i18n.get("not-found"), show_alert=True)
        return
    await abandon_flow(state, session, partner)
    await query.answer()
    marketplace = Marketplace(integration.marketplace)
    # A client id (Ozon's Client-Id) identifies the account and does not change with a new key.
    await state.set_data({"marketplace": marketplace.value, "replace_id": integration.id,
                          "client_id": integration.seller_id if _asks_client_id(marketplace) else None})
    await state.set_state(ConnectFlow.api_key)
    await show(query, i18n.get("replace-intro", title=fmt.esc(fmt.integration_title(i18n, integration))) + "\n\n"
               + i18n.get(f"connect-howto-{marketplace.value}") + "\n\n"
               + i18n.get(f"connect-ask-key-{marketplace.value}"), kb.back_cancel(i18n))


# ---- typed credentials ----

async def client_id_entered(message: Message, state: FSMContext, i18n: I18nContext) -> None:
    problem = check_client_id(message.text)
    if problem:
        await message.answer(i18n.get(problem), reply_markup=kb.back_cancel(i18n))
        return
    await state.update_data(client_id=message.text.strip())
    await message.answer(i18n.get(f"connect-ask-key-{_marketplace(await state.get_data()).value}"),
                         reply_markup=kb.back_cancel(i18n))
    await state.set_state(ConnectFlow.api_key)


async def key_entered(message: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                      platform: Platform, i18n: I18nContext) -> None:
    # Delete first: whatever happens next, the secret must not stay in the chat.
    await _delete_secret(message)
    if not message.text:
        await message.answer(i18n.get("connect-send-text"), reply_markup=kb.back_cancel(i18n))
        return
    data = await state.get_data()
    marketplace = _marketplace(data)
    api_key = normalize(message.text)
    remember_secret(api_key)
    problem = check_api_key(marketplace, api_key)
    if problem:
        await message.answer(i18n.get("key-deleted") + "\n" + i18n.get(problem), reply_markup=kb.back_cancel(i18n))
        return
    if _asks_client_id(marketplace) and not data.get("client_id"):
        await state.set_state(ConnectFlow.client_id)
        await message.answer(i18n.get("connect-ask-client-id"), reply_markup=kb.back_cancel(i18n))
        return
    credentials = Credentials(api_key=api_key, client_id=data.get("client_id"))
    status = await message.answer(i18n.get("connect-checking", marketplace=i18n.get(f"mp-{marketplace.value}")))
    try:
        info = await integrations.test(platform, session, marketplace, credentials)
    except ConnectorError as error:
        await _edit(status, fmt.connection_error(i18n, marketplace, error), kb.after_failure(i18n))
        return

    if data.get("replace_id"):
        await _finish_replace(status, state, session, partner, platform, i18n, data["replace_id"], credentials, info)
        return
    draft = await integrations.create_draft(platform, session, partner, marketplace, credentials, info)
    await state.update_data(draft_id=draft.id, client_id=None)
    await _next_step(status, state, session, partner, platform, i18n, draft)


async def _finish_replace(status: Message, state: FSMContext, session: AsyncSession, partner: Partner,
                          platform: Platform, i18n: I18nContext, integration_id: str,
                          credentials: Credentials, info) -> None:
    integration = await integrations.get(session, partner.id, integration_id)
    if integration is None:  # deleted meanwhile (e.g. from another device)
        await state.clear()
        await _edit(status, i18n.get("not-found"), kb.rows(kb.to_menu(i18n)))
        return
    try:
        await integrations.replace_keys(platform, session, integration, credentials, info, actor=partner.telegram_id)
    except OtherAccount:
        await _edit(status, i18n.get("replace-other-account"), kb.after_failure(i18n))
        return
    await state.clear()
    await _edit(status, i18n.get("replace-done") + "\n\n" + fmt.integration_card(i18n, partner, integration),
                kb.integration_card(i18n, integration.id, paused=integration.status == IntegrationStatus.PAUSED))


async def _next_step(target, state: FSMContext, session: AsyncSession, partner: Partner,
                     platform: Platform, i18n: I18nContext, draft: MarketplaceIntegration) -> None:
    """Ask for the next pick, or save the integration when nothing is left to pick."""
    pending = integrations.pending_choice(draft)
    if pending is not None:
        await state.set_state(ConnectFlow.choosing)
        buttons = [[kb.button(fmt.esc(o.name)[:60], ConnectCb(action=ConnectAction.PICK, value=o.id))] for o in pending.options[:40]]
        buttons.append([kb.button(i18n.get("btn-back"), ConnectCb(action=ConnectAction.BACK)),
                        kb.button(i18n.get("btn-cancel"), ConnectCb(action=ConnectAction.CANCEL))])
        text = i18n.get("connect-ok-account", name=fmt.esc(draft.account_name or "")) + "\n\n"
        text += i18n.get(f"connect-choose-{pending.kind.value}-{draft.marketplace}")
        await _show(target, text, kb.rows(*buttons))
        return
    try:
        await integrations.activate(session, draft, actor=partner.telegram_id)
    except AlreadyConnected as duplicate:
        await discard_draft(session, partner.id, draft.id)
        await state.clear()
        await _show(target, i18n.get("connect-already", title=fmt.esc(fmt.integration_title(i18n, duplicate.existing))),
                    kb.rows([kb.button(i18n.get("btn-open-card"), IntegrationCb(action=IntegrationAction.OPEN, id=duplicate.existing.id))],
                            kb.to_menu(i18n)))
        return
    await state.clear()
    await _show(target, fmt.connected(i18n, partner, draft),
                kb.rows([kb.button(i18n.get("btn-open-card"), IntegrationCb(action=IntegrationAction.OPEN, id=draft.id))],
                        [kb.button(i18n.get("btn-connect-another"), MenuCb(action=MenuAction.CONNECT))],
                        kb.to_menu(i18n)))


async def option_picked(query: CallbackQuery, callback_data: ConnectCb, state: FSMContext, session: AsyncSession,
                        partner: Partner, platform: Platform, i18n: I18nContext) -> None:
    data = await state.get_data()
    draft = await integrations.get(session, partner.id, data.get("draft_id", ""))
    pending = integrations.pending_choice(draft) if draft else None
    if draft is None or pending is None or not await integrations.choose(session, draft, pending.kind, callback_data.value):
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer()
    await _next_step(query, state, session, partner, platform, i18n, draft)


async def text_while_choosing(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("connect-use-buttons"))


async def non_text_client_id(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("connect-send-text"), reply_markup=kb.back_cancel(i18n))


# ---- back / retry / cancel ----

async def back(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
               platform: Platform, i18n: I18nContext) -> None:
    await query.answer()
    current = await state.get_state()
    data = await state.get_data()
    if current is None or "marketplace" not in data:
        await show(query, i18n.get("connect-choose"), kb.marketplaces_choice(i18n))
        return
    marketplace = _marketplace(data)
    if current == ConnectFlow.choosing.state:
        # Going back from the pick discards the tested draft: the partner may want another key.
        if data.get("draft_id"):
            await discard_draft(session, partner.id, data["draft_id"])
        await state.update_data(draft_id=None)
        if _asks_client_id(marketplace):
            await state.set_state(ConnectFlow.client_id)
            await show(query, i18n.get("connect-ask-client-id"), kb.back_cancel(i18n))
        else:
            await _ask_key(query, state, i18n, marketplace)
        return
    if data.get("replace_id"):
        integration = await integrations.get(session, partner.id, data["replace_id"])
        await state.clear()
        if integration is None:
            await show(query, i18n.get("menu-title"), kb.rows(kb.to_menu(i18n)))
            return
        await show(query, fmt.integration_card(i18n, partner, integration),
                   kb.integration_card(i18n, integration.id, paused=integration.status == IntegrationStatus.PAUSED))
        return
    if current == ConnectFlow.api_key.state and _asks_client_id(marketplace):
        await state.set_state(ConnectFlow.client_id)
        await show(query, i18n.get(f"connect-howto-{marketplace.value}") + "\n\n" + i18n.get("connect-ask-client-id"),
                   kb.back_cancel(i18n))
        return
    await state.clear()
    await show(query, i18n.get("connect-choose"), kb.marketplaces_choice(i18n))


async def retry(query: CallbackQuery, state: FSMContext, i18n: I18nContext) -> None:
    data = await state.get_data()
    if "marketplace" not in data:
        await query.answer(i18n.get("button-outdated"), show_alert=True)
        return
    await query.answer()
    await _ask_key(query, state, i18n, _marketplace(data))


async def cancel(query: CallbackQuery, state: FSMContext, session: AsyncSession, partner: Partner,
                 i18n: I18nContext, admin_ids: frozenset[int]) -> None:
    await abandon_flow(state, session, partner)
    await query.answer()
    await show(query, i18n.get("cancelled") + "\n\n" + i18n.get("menu-title"),
               kb.main_menu(i18n, is_admin=query.from_user.id in admin_ids))


# ---- helpers ----

async def _delete_secret(message: Message) -> None:
    try:
        await message.delete()
    except TelegramBadRequest:
        log.warning("could not delete a message holding a key (already deleted?)")


async def _edit(message: Message, text: str, markup) -> None:
    try:
        await message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest:
        await message.answer(text, reply_markup=markup)


async def _show(target, text: str, markup) -> None:
    if isinstance(target, Message):
        await _edit(target, text, markup)
    else:
        await show(target, text, markup)


def router() -> Router:
    r = Router(name="connect")
    r.message.filter(IsRegistered())
    r.callback_query.filter(IsRegistered())
    r.callback_query.register(choose_marketplace, MenuCb.filter(F.action == MenuAction.CONNECT))
    r.callback_query.register(marketplace_chosen, ConnectCb.filter(F.action == ConnectAction.MARKETPLACE))
    r.callback_query.register(replace_keys_start, IntegrationCb.filter(F.action == IntegrationAction.REPLACE_KEYS))
    r.message.register(client_id_entered, ConnectFlow.client_id, F.text)
    r.message.register(key_entered, ConnectFlow.api_key)
    r.callback_query.register(option_picked, ConnectFlow.choosing, ConnectCb.filter(F.action == ConnectAction.PICK))
    r.message.register(text_while_choosing, ConnectFlow.choosing)
    r.message.register(non_text_client_id, ConnectFlow.client_id)
    r.callback_query.register(back, ConnectCb.filter(F.action == ConnectAction.BACK))
    r.callback_query.register(retry, ConnectCb.filter(F.action == ConnectAction.RETRY))
    r.callback_query.register(cancel, ConnectCb.filter(F.action == ConnectAction.CANCEL))
    return r
