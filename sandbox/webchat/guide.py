"""What the guided-start panel next to the web chat shows: the demo users, the sandbox's test credentials (from
sandbox.marketplaces.accounts, the same ones the tests type) and a few "try this" steps."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sandbox.marketplaces import accounts


@dataclass
class DemoUser:
    """A Telegram user the web chat can be. `role`: partner | admin | new."""

    user_id: int
    first_name: str
    role: str
    label: str
    note: str = ""
    language_code: str = "en"
    username: str | None = None
    start: str | None = None  # a deep-link parameter the START button sends (/start <start>)

    def public(self) -> dict:
        return asdict(self)


# The demo's two standing users. The partner is seeded by sandbox.demo; the admin's id is the bot's ADMIN_IDS.
DEMO_ADMIN = DemoUser(1001, "Aziz", "admin", "Admin", "runs the platform: /admin, invites, partners")
DEMO_PARTNER = DemoUser(2001, "Dilnoza", "partner", "Demo partner",
                        "a seller with all four marketplaces, products and three months of orders")


def credentials() -> list[dict]:
    """Per marketplace: what the bot asks for, in the order it asks, with a copyable value each."""
    return [
        {"marketplace": "Uzum Market", "hint": "one token, two shops (Toshkent Savdo, Samarqand Market)",
         "fields": [{"label": "API token", "value": accounts.UZUM_TOKEN}]},
        {"marketplace": "Yandex Market", "hint": "an Api-Key token; the business has an FBS and a DBS shop",
         "fields": [{"label": "API key", "value": accounts.YANDEX_API_KEY}]},
        {"marketplace": "Wildberries", "hint": "a Base token, valid 150 days; two warehouses",
         "fields": [{"label": "Token", "value": accounts.WB_TOKEN}]},
        {"marketplace": "Ozon", "hint": "step 1: Client ID, step 2: API key; two warehouses",
         "fields": [{"label": "Client ID", "value": accounts.OZON_CLIENT_ID},
                    {"label": "API key", "value": accounts.OZON_API_KEY}]},
    ]


def failures() -> list[dict]:
    """Keys that fail the way each marketplace fails, to see the bot name the cause."""
    return [
        {"label": "Yandex key without access", "value": accounts.YANDEX_API_KEY_NO_SCOPE},
        {"label": "Expired Wildberries token", "value": accounts.WB_TOKEN_EXPIRED},
        {"label": "Uzum token with no shops", "value": accounts.UZUM_TOKEN_NO_SHOPS},
        {"label": "Any other text", "value": "not-a-real-key-0000000000"},
    ]


def steps() -> list[dict]:
    """The "try this" path: connect → sync → stock change → order alert → analytics (and a few more)."""
    return [
        {"title": "Connect Uzum", "user": "new",
         "text": "Be a new seller (the invite link opens the chat as a new user), press START, then "
                 "“➕ Connect a marketplace” → “Uzum Market”. Paste the Uzum token (Copy below) and pick a shop "
                 "(Samarqand Market: the demo partner has the other one). The bot deletes the message with your "
                 "key at once."},
        {"title": "Sync products", "user": "new",
         "text": "“🏠 Main menu” → “📦 Products” → “🔄 Sync products”. The progress message changes in place; "
                 "40 products arrive."},
        {"title": "Change a stock", "user": "partner",
         "text": "As the demo partner: “📦 Products” → a product → “✏️ Set stock”, type a number. It goes to all "
                 "four marketplaces; open the product again to see what each one was sent."},
        {"title": "See an order arrive", "user": "partner",
         "text": "A buyer orders something about every minute. Within a minute or two a “🛒 New order” alert "
                 "appears here by itself; press “🧾 Open the order” to confirm or cancel it."},
        {"title": "Open Analytics", "user": "partner",
         "text": "Open “📊 Analytics” from the main menu: the demo partner has three months of orders on all four "
                 "marketplaces. Switch the period and the marketplace, open 💰 Profit, download the Excel report."},
        {"title": "Export and import", "user": "partner",
         "text": "“📦 Products” → “⬇️ Export” → CSV downloads the catalog. Change a Stock cell, then "
                 "“⬆️ Import” and send the file with 📎: the bot checks every row before applying."},
        {"title": "Be the admin", "user": "admin",
         "text": "As the admin: /admin shows partners, failing integrations, the marketplace APIs and "
                 "“✉️ Create invite” — click the link it gives to join as a new partner."},
    ]
