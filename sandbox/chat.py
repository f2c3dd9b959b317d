"""python -m sandbox.chat — be a Telegram user in a terminal, against the sandbox Telegram server.

Type text to send it (commands too: /start, /cancel …). `!press <button text>` presses a button of the
latest keyboard, `!buttons` lists them, `!quit` leaves. Messages from the bot are printed as they arrive.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

import httpx


async def _print_new(client: httpx.AsyncClient, chat_id: int, seen: dict[int, str]) -> list[dict]:
    reply = (await client.get("/_sandbox/messages", params={"chat_id": chat_id})).json()
    messages = reply.get("messages", [])
    for message in messages:
        text = message.get("text") or message.get("caption") or f"[{message.get('kind')}]"
        state = text + repr(message.get("buttons"))
        if seen.get(message["message_id"]) == state or message.get("deleted"):
            continue
        label = "edited" if message["message_id"] in seen else "bot"
        seen[message["message_id"]] = state
        print(f"\n--- {label} #{message['message_id']} ---\n{text}")
        for row in message.get("buttons") or []:
            print("   " + "  ".join(f"[{b['text']}]" for b in row))
    return messages


async def chat(base_url: str, user_id: int, language: str) -> None:
    seen: dict[int, str] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        loop = asyncio.get_running_loop()
        print(__doc__)
        while True:
            await asyncio.sleep(0.7)
            await _print_new(client, user_id, seen)
            line = (await loop.run_in_executor(None, sys.stdin.readline)).rstrip("\n")
            if not line or line == "!quit":
                return
            user = {"user_id": user_id, "language_code": language, "first_name": "Sandbox"}
            if line == "!buttons":
                await _print_new(client, user_id, {})
                continue
            if line.startswith("!press "):
                result = (await client.post("/_sandbox/press", json={**user, "text": line[7:]})).json()
            else:
                result = (await client.post("/_sandbox/send", json={**user, "text": line})).json()
            if not result.get("ok"):
                print(f"! {result.get('error')}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox.chat")
    parser.add_argument("--telegram", default="http://127.0.0.1:8081", help="the sandbox Telegram server")
    parser.add_argument("--user", type=int, default=1001, help="your Telegram user id in the sandbox")
    parser.add_argument("--language", default="en", choices=["uz", "ru", "en"])
    args = parser.parse_args()
    try:
        asyncio.run(chat(args.telegram, args.user, args.language))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
