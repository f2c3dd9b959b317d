"""A Telegram-like chat in the browser for the demo (``python -m sandbox.demo``): a client of the sandbox Telegram
server's user side only. See server.py for its API and static/ for the page (vanilla JS and CSS, no build step)."""
from sandbox.webchat.guide import DEMO_ADMIN, DEMO_PARTNER, DemoUser
from sandbox.webchat.server import DEFAULT_PORT, WebChat

__all__ = ["DEFAULT_PORT", "DEMO_ADMIN", "DEMO_PARTNER", "DemoUser", "WebChat"]
