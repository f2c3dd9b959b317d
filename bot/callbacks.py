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
    action: str  # open | test | pause | resume | replace | delete | delete_yes | sync | rules | rset | drift
    id: str
    arg: str = ""  # rset: which rule (b buffer, m max, s share, f floor)


class AdminCb(CallbackData, prefix="a"):
    action: str  # home | partners | failing | invite | configs | cfg | cfg_url | cfg_rate | cfg_reset
    arg: str = ""


class ProductsCb(CallbackData, prefix="p"):
    action: str  # list | search | clear | export | import | sync | pick_sync
    arg: str = ""  # page number, format, integration id


class ProductCb(CallbackData, prefix="pc"):
    action: str  # open | stock | price | mp_price | mp_pick | mp_reset
    id: str  # product id
    arg: str = ""  # integration id for per-marketplace prices


class SyncCb(CallbackData, prefix="s"):
    action: str  # run | dups | unmatched
    id: str  # integration id


class ImportCb(CallbackData, prefix="im"):
    action: str  # apply | cancel
    id: str  # pending import id


# ---- orders, notification settings, sync dashboard (issue 5) ----

class OrdersCb(CallbackData, prefix="ol"):
    action: str  # list (value: page) | pick (key: which filter's choices) | set (key + value: a filter's value)
    key: str = ""  # mp | st | pe
    value: str = ""  # page number, marketplace, state, period ("" = all)


class OrderCb(CallbackData, prefix="od"):
    action: str  # open | ask (arg: confirm | ship | cancel_<reason>) | reasons | do (arg as in ask)
    id: str  # order id
    arg: str = ""


class NotifCb(CallbackData, prefix="ns"):
    action: str  # home | mute (arg: alert kind) | quiet (arg: preset, "" = show presets) | low
    arg: str = ""


class DashCb(CallbackData, prefix="sd"):
    action: str  # open | every (arg: seconds) | run (arg: orders | catalog)
    id: str  # integration id
    arg: str = ""
