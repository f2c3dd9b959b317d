"""Shared connection pools per marketplace host: clients of that host reuse its connections (no new SSL context per
poll), each keeps its own headers and cookies, and closing one leaves the pool to the others; many clients at once
are spread over a few pools (httpcore's bookkeeping grows with the square of a pool's connections)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from connectors.http import CLIENTS_PER_POOL, HttpCore, close_shared_transports
from connectors.uzum.errors import UZUM_POLICY


async def _server(handler):
    app = web.Application()
    app.router.add_get("/v1/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


async def test_clients_of_one_host_share_connections_not_credentials():
    peers, seen_keys, seen_cookies = set(), [], []

    async def handler(request: web.Request) -> web.Response:
        peers.add(request.transport.get_extra_info("peername")[1])  # the client's port: one per connection
        seen_keys.append(request.headers["Authorization"])
        seen_cookies.append(request.headers.get("Cookie"))
        response = web.json_response({"ok": True})
        response.set_cookie("session", request.headers["Authorization"])  # must not reach another account
        return response

    runner, base = await _server(handler)
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


async def test_many_clients_at_once_spread_over_a_few_pools_and_a_quiet_one_reuses_the_first():
    async def handler(request: web.Request) -> web.Response:
        await asyncio.sleep(0.05)  # every client's request in flight at once
        return web.json_response({"key": request.headers["Authorization"]})

    runner, base = await _server(handler)
    count = CLIENTS_PER_POOL * 2 + 5
    try:
        clients = [HttpCore(policy=UZUM_POLICY, base_url=base, auth_headers={"Authorization": f"key-{n}"})
                   for n in range(count)]
        answers = await asyncio.gather(*(c.request_json("GET", "/v1/x") for c in clients))
        pools = [c._client._transport.pool for c in clients]
        for client in clients:
            await client.aclose()
        quiet = HttpCore(policy=UZUM_POLICY, base_url=base, auth_headers={"Authorization": "key-quiet"})
        assert await quiet.request_json("GET", "/v1/x") == {"key": "key-quiet"}
        first = quiet._client._transport.pool
        await quiet.aclose()
    finally:
        await close_shared_transports()
        await runner.cleanup()
    assert answers == [{"key": f"key-{n}"} for n in range(count)]  # each client's own answer
    assert len({id(p) for p in pools}) == 3  # 25 clients: two full pools and a third
    assert first is pools[0]  # alone again: the first pool, with its warm connections
