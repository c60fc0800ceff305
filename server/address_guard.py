"""Outgoing connections to global addresses only, for every client that connects on a
stranger's word: the hub's verifications and deliveries (a subscriber names the callback)
and `POST /api/imports?url=` (a client names the feed). Without it either becomes a way into
the network behind syndic (the metadata service at 169.254.169.254, an admin port on
loopback).

The decision is made in the connector, on the addresses actually connected to, so a name
that resolved to a public address when the subscription or request was checked and to a
private one later (DNS rebinding) cannot slip through, and every hop (each redirect, each
next page, each delivery) goes through it. Two places see the addresses:

- the resolver keeps a name's global addresses and refuses a name that has none (the hub's
  subscribe-time check, server/handlers/hub.py, accepts the same names);
- the socket factory checks the address of every socket before it exists. aiohttp 3.14
  connects to an IP literal without asking the resolver (TCPConnector._resolve_host), so
  this is what refuses `http://127.0.0.1/` or `http://[::1]/`."""

from __future__ import annotations

import errno
import ipaddress
import socket
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from feeds.websub import is_private_address

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class NonGlobalAddressError(OSError):
    """A connection the guard refused: the address is not a global one."""


class AddressGuard:
    def __init__(self, allowed_for_tests: frozenset[IPAddress] = frozenset()) -> None:
        self.allowed_for_tests = allowed_for_tests

    def refuses(self, ip: str) -> bool:
        """feeds/websub.is_private_address: not ipaddress's is_global, or private, loopback,
        link-local, reserved, multicast, unspecified; IPv4-mapped, NAT64 and 6to4 forms are
        judged by the IPv4 address they carry."""
        return ipaddress.ip_address(ip) not in self.allowed_for_tests and \
            is_private_address(ip)

    def socket_for(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """The socket to connect to `addr_info` (TCPConnector's socket_factory)."""
        family, type_, proto, _, address = addr_info
        if self.refuses(address[0]):
            raise NonGlobalAddressError(errno.EACCES, f"{address[0]} is not a global address")
        return socket.socket(family=family, type=type_, proto=proto)

    def connector(self, **kwargs: Any) -> tuple[aiohttp.TCPConnector, AbstractResolver]:
        """A connector that goes through the guard, and its resolver: the connector closes
        a resolver only when it made it, so the caller closes this one after the session."""
        resolver = _GlobalOnlyResolver(self)
        return aiohttp.TCPConnector(resolver=resolver, socket_factory=self.socket_for,
                                    **kwargs), resolver


class _GlobalOnlyResolver(AbstractResolver):
    def __init__(self, guard: AddressGuard) -> None:
        self._guard = guard
        self._inner = DefaultResolver()

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if not self._guard.refuses(r["host"])]
        if not kept:
            addresses = ", ".join(sorted({r["host"] for r in found}))
            raise NonGlobalAddressError(
                errno.EACCES, f"{host} resolves to {addresses}, not a global address")
        return kept

    async def close(self) -> None:
        await self._inner.close()
