"""Callback data: short prefixes and opaque ids only (Telegram allows 64 bytes). Every handler reloads the
object by id AND the pressing partner, because callback data is client input."""
from aiogram.filters.callback_data import CallbackData


class MenuCb(CallbackData, prefix="m"):
    action: str  # main | mps | connect | lang | help | admin


class LangCb(CallbackData, prefix="l"):
    code: str


class ConnectCb(CallbackData, prefix="c"):
    action: str  # mp | back | cancel | retry | pick
    value: str = ""


class IntegrationCb(CallbackData, prefix="i"):
    action: str  # open | test | pause | resume | replace | delete | delete_yes
    id: str


class AdminCb(CallbackData, prefix="a"):
    action: str  # home | partners | failing | invite | configs | cfg | cfg_url | cfg_rate | cfg_reset
    arg: str = ""
