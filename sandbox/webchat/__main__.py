"""python -m sandbox.webchat — the web chat alone, against a sandbox Telegram server that is already running
(e.g. `python -m sandbox` in one terminal, `make run` with its lines in another). `make demo` starts everything,
this included."""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import sys

from sandbox.webchat.guide import DEMO_ADMIN, DEMO_PARTNER, DemoUser
from sandbox.webchat.server import DEFAULT_PORT, WebChat


async def serve(telegram: str, host: str, port: int, admin_id: int | None, partner_id: int | None) -> None:
    users: list[DemoUser] = []
    if partner_id:
        users.append(DemoUser(partner_id, DEMO_PARTNER.first_name, "partner", DEMO_PARTNER.label, "a partner"))
    admin = DemoUser(admin_id, DEMO_ADMIN.first_name, "admin", DEMO_ADMIN.label, DEMO_ADMIN.note) if admin_id else None
    if admin:
        users.append(admin)
    chat = WebChat(telegram, users=users, admin=admin, host=host, port=port)
    await chat.start()
    print(f"Web chat: {chat.url}  (sandbox Telegram server: {telegram})", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await chat.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.webchat", description=__doc__.splitlines()[0])
    parser.add_argument("--telegram", default="http://127.0.0.1:8081", help="the sandbox Telegram server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--admin", type=int, default=DEMO_ADMIN.user_id,
                        help="the admin's Telegram id (one of the bot's ADMIN_IDS); 0 = none (open registration)")
    parser.add_argument("--partner", type=int, default=DEMO_PARTNER.user_id, help="a partner's id; 0 = none")
    args = parser.parse_args(argv)
    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("The web chat plays any user of the sandbox, so it listens on loopback only.")
    try:
        asyncio.run(serve(args.telegram, args.host, args.port, args.admin or None, args.partner or None))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
