"""python -m sandbox — the offline world: a Telegram Bot API server and the four marketplaces, on loopback.

Prints the settings that point the bot at it, and the test credentials a user can type in chat. Play the
user from another terminal with `python -m sandbox.chat`.
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import random
import sys

from sandbox.marketplaces import MarketplaceSandbox, accounts
from sandbox.marketplaces.orders import random_order
from sandbox.telegram import TelegramSandbox

SANDBOX_BOT_TOKEN = "123456789:SANDBOX-bot-token-for-local-runs-only"


def env_lines(telegram: TelegramSandbox, marketplaces: MarketplaceSandbox) -> list[str]:
    return [f"BOT_TOKEN={SANDBOX_BOT_TOKEN}", f"TELEGRAM_API_URL={telegram.url}"] + [
        f"{name}={value}" for name, value in marketplaces.env().items()
    ]


def credentials_text() -> str:
    return "\n".join([
        "# Test credentials (type them in chat when the bot asks):",
        f"#   Uzum Market token (2 shops):   {accounts.UZUM_TOKEN}",
        f"#   Yandex Market Api-Key:         {accounts.YANDEX_API_KEY}",
        f"#   Wildberries token (Base):      {accounts.WB_TOKEN}",
        f"#   Ozon Client ID / API key:      {accounts.OZON_CLIENT_ID} / {accounts.OZON_API_KEY}",
        "# Anything else is answered as a wrong key, the way each marketplace does.",
    ])


async def make_orders(marketplaces: MarketplaceSandbox, every: float) -> None:
    """--orders-every: a buyer somewhere places an order on a random marketplace every `every` seconds."""
    rng = random.Random()
    while True:
        await asyncio.sleep(every)
        order = random_order(marketplaces.state, rng)
        print(f"# sandbox: new {order.marketplace} order {order.id}", flush=True)


async def serve(host: str, telegram_port: int, marketplace_port: int, orders_every: float | None = None) -> None:
    telegram = TelegramSandbox(host=host, port=telegram_port)
    marketplaces = MarketplaceSandbox(host=host, port=marketplace_port)
    await telegram.start()
    await marketplaces.start()
    print("# SellerCloudX sandbox is running. Put these lines in .env (or export them) and `make run`:")
    print("\n".join(env_lines(telegram, marketplaces)))
    print(credentials_text())
    print(f"# Play the user: python -m sandbox.chat --telegram {telegram.url} --user 1001")
    print(f"#   or in a browser: python -m sandbox.webchat --telegram {telegram.url}  (http://127.0.0.1:8000)")
    print("# Everything at once, with demo data: make demo")
    print("# (in invite mode, put the user's id in ADMIN_IDS or use an admin's invite link)", flush=True)
    print(f"# New orders: POST {marketplaces.url}/_sandbox/orders "
          '{"marketplace": "ozon", "lines": [[1, 2]]}  (or start with --orders-every SECONDS)', flush=True)
    orders = asyncio.create_task(make_orders(marketplaces, orders_every)) if orders_every else None
    try:
        await asyncio.Event().wait()
    finally:
        if orders:
            orders.cancel()
        await marketplaces.stop()
        await telegram.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (the sandbox refuses others)")
    parser.add_argument("--telegram-port", type=int, default=8081)
    parser.add_argument("--marketplace-port", type=int, default=8082)
    parser.add_argument("--orders-every", type=float, default=None, metavar="SECONDS",
                        help="place a random order on a random marketplace every SECONDS")
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("The sandbox only listens on loopback addresses (127.0.0.0/8 or ::1).")
    try:
        asyncio.run(serve(args.host, args.telegram_port, args.marketplace_port, args.orders_every))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
