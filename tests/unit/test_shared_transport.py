"""One connection pool per marketplace host: clients of that host reuse its connections (no new SSL context per
poll), each keeps its own headers and cookies, and closing one leaves the pool to the others."""
from __future__ import annotations

from aiohttp import web

from connectors.http import HttpCore, close_shared_transports
from connectors.uzum.errors import UZUM_POLICY


async def test_clients_of_one_host_share_connections_not_credentials():
    peers, seen_keys, seen_cookies = set(), [], []

    async def handler(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername")[1])  # the client's port: one per connection
        seen_keys.append(request.headers["Authorization"])
        seen_cookies.append(request.headers.get("Cookie"))
        response = web.json_response({"ok": True})
        response.set_cookie("session", request.headers["Authorization"])  # must not reach another account
        return response

    app = web.Application()
    app.router.add_get("/v1/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    try:
        for n in range(5):  # five polls, each with a client of its own, one after another
            http = HttpCore(policy=UZUM_POLICY, base_url=base, auth_headers={"Authorization": f"key-{n}"})
            assert await http.request_json("GET", "/v1/x") == {"ok": True}
            await http.aclose()
        a = HttpCore(policy=UZUM_POLICY, base_url=base, auth_headers={"Authorization": "key-a"})
        b = HttpCore(policy=UZUM_POLICY, base_url=base, auth_headers={"Authorization": "key-b"})
        assert a._client._transport.pool is b._client._transport.pool
        await a.request_json("GET", "/v1/x")
        await a.aclose()
        assert await b.request_json("GET", "/v1/x") == {"ok": True}  # a's close left the pool open
        await b.aclose()
    finally:
        await close_shared_transports()
        await runner.cleanup()
    assert len(peers) == 1  # every request over the one kept-alive connection
    assert seen_keys == [f"key-{n}" for n in range(5)] + ["key-a", "key-b"]
    assert seen_cookies == [None] * 7  # a cookie one account got is never sent for another
