"""python -m bot [run|migrate|rotate-keys] — the composition root."""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from pydantic import ValidationError

from bot.config import Settings
from bot.log import setup_logging

log = logging.getLogger("bot")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        print(f"Invalid setting {'.'.join(str(p) for p in first['loc'])}: {first['msg']} (see .env.example)",
              file=sys.stderr)
        sys.exit(2)


async def run(settings: Settings) -> None:
    from aiogram.exceptions import TelegramUnauthorizedError

    from bot.runtime import prepare, serve

    runtime = await prepare(settings)
    try:
        log.info("SellerCloudX bot starting (Telegram API: %s)", settings.TELEGRAM_API_URL)
        await serve(runtime)
    except TelegramUnauthorizedError:
        print("Telegram rejected BOT_TOKEN: check the token from @BotFather in .env", file=sys.stderr)
        sys.exit(2)
    finally:
        await runtime.close()


async def migrate(settings: Settings) -> None:
    from bot.runtime import open_database

    engine, _ = await open_database(settings)
    await engine.dispose()
    print("Database is up to date.")


async def rotate_keys(settings: Settings) -> None:
    """Re-encrypt every stored credential with the first key of ENCRYPTION_KEYS."""
    from bot.runtime import build_vault, open_database
    from services import integrations

    vault = build_vault(settings)
    engine, sessionmaker = await open_database(settings)
    async with sessionmaker() as session:
        count = await integrations.rotate_keys(session, vault)
        await session.commit()
    await engine.dispose()
    print(f"Re-encrypted {count} stored credentials with the first key. "
          "Old keys can now be removed from ENCRYPTION_KEYS.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description="SellerCloudX partner bot")
    parser.add_argument("command", nargs="?", default="run", choices=["run", "migrate", "rotate-keys"])
    args = parser.parse_args(argv)
    settings = _settings()
    setup_logging(settings.LOG_LEVEL)
    if args.command == "run":
        if settings.BOT_TOKEN is None or not settings.BOT_TOKEN.get_secret_value().strip():
            print("BOT_TOKEN is not set: put BOT_TOKEN=<token from @BotFather> in .env or the environment "
                  "(see .env.example), or try `make demo`: the whole bot in a browser, nothing to set up.",
                  file=sys.stderr)
            sys.exit(2)
        asyncio.run(run(settings))
    elif args.command == "migrate":
        asyncio.run(migrate(settings))
    else:
        asyncio.run(rotate_keys(settings))


if __name__ == "__main__":
    main()
