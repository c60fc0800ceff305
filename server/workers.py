"""Several server processes on one port (`server.workers`): one leader, the others followers.

Each process has its own GIL, event loop and feed cache, and accepts connections from the
listening sockets the leader made and every follower inherited (listening_sockets). Only
the leader (the `syndic serve` process) runs the scheduler: it publishes scheduled posts,
regenerates feeds, and delivers. So that every process answers with the same bytes, and a
write sent to any of them shows at once:

- the leader sends each follower every feed version it serves (the bodies, in the order it
  serves them: server/feed_service.py's listeners), and "sites" when a site changed;
- a follower asks the leader to regenerate ("wake", after its writes), to run the outbox
  ("wake_outbox") and to reload the sites ("sites", after its site changes);
- writes to a SQLite file take a lock file across processes (StoreBase.write_turn).

Start-up of a follower: it connects, says "ready"; the leader answers with the versions it
serves that are not stored yet, then "go". The follower then reads every stored version it
was not sent (FeedService.load): what it was sent is newer, and every other version the
leader served before "go" was committed before it.

The channel is a socketpair inherited by the follower (its fd in --follower-fd): frames of a
4-byte length and a pickle, between processes of the same program and user only. A follower
whose leader is gone (end of the channel) stops; a follower that dies is started again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import socket
import struct
import sys
from typing import Any

from aiohttp import web

from feeds.models import Artifact
from server.keys import FEEDS, SITES, SITES_CHANGED, STORE, WAKE, WAKE_OUTBOX

log = logging.getLogger("syndic.workers")
_LENGTH = struct.Struct("!I")
RESTART_DELAY = 1.0
"""Seconds before a follower that died is started again."""
STOP_WAIT = 20.0
"""Seconds a follower has to stop after SIGTERM before it is killed."""
BACKLOG_LIMIT = 256 * 1024 * 1024
"""Bytes of messages a follower may leave unread before it is taken for stuck (restarted:
it reads every feed back from the store)."""

Message = tuple[Any, ...]


def _frame(message: Message) -> list[bytes]:
    """The length and the pickle, apart: a site-feed run's message is ~1 MB, not copied
    again to put four bytes in front of it."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return [_LENGTH.pack(len(data)), data]


async def _receive(reader: asyncio.StreamReader) -> Message | None:
    """The next message; None at the end of the channel."""
    try:
        head = await reader.readexactly(_LENGTH.size)
        message: Message = pickle.loads(await reader.readexactly(_LENGTH.unpack(head)[0]))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    return message


async def _open(sock: socket.socket) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_unix_connection(sock=sock, limit=2**20)


def follower_argv(argv: list[str], fd: int, listen_fds: list[int]) -> list[str]:
    listen = [arg for fd in listen_fds for arg in ("--listen-fd", str(fd))]
    return [sys.executable, "-m", "server", *argv, "--follower-fd", str(fd), *listen]


def listening_sockets(host: str, port: int) -> list[socket.socket]:
    """The port's listening sockets, made by the leader and inherited by every follower,
    all accepting from the same queue: a process busy rendering leaves the next connection
    to one that is not. Not SO_REUSEPORT: with it, a second server started on the same port
    by mistake would take half the connections instead of failing to start."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:  # as asyncio does: one socket per family
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:  # the words of asyncio's own message
                reason = (exc.strerror or str(exc)).lower()
                raise OSError(exc.errno, f"error while attempting to bind on address "
                                         f"{address!r}: {reason}") from None
            sock.listen(128)
            sock.setblocking(False)
    except BaseException:
        for sock in socks:
            sock.close()
        raise
    return socks


class Follower:
    """The leader's side of one follower: its process and channel."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.proc: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None

    def send(self, frame: list[bytes]) -> None:
        """A message made by _frame (once for every follower it goes to)."""
        writer = self.writer
        if writer is None or writer.is_closing():
            return
        if writer.transport.get_write_buffer_size() > BACKLOG_LIMIT:
            log.warning("follower %d reads nothing: restarting it", self.index)
            writer.close()
            if self.proc is not None and self.proc.returncode is None:
                self.proc.kill()
            return
        writer.writelines(frame)


class Followers:
    """The leader's followers: started after the leader serves, each started again when it
    dies, all stopped (SIGTERM, then SIGKILL after STOP_WAIT) before the leader stops."""

    def __init__(self, app: web.Application, argv: list[str], count: int) -> None:
        self.app = app
        self.argv = argv
        self.members = [Follower(i + 1) for i in range(count)]
        self.listen_fds: list[int] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self, listening: list[socket.socket]) -> None:
        self.listen_fds = [sock.fileno() for sock in listening]
        self.app[FEEDS].listeners.append(self._changed)
        self.app[SITES_CHANGED] = lambda: self.broadcast(("sites",))
        self._tasks = [asyncio.create_task(self._keep(f)) for f in self.members]

    def broadcast(self, message: Message) -> None:
        frame = _frame(message)
        for follower in self.members:
            follower.send(frame)

    def _changed(self, changed: list[Artifact], dropped: list[tuple[int, str]],
                 rendered: tuple[int, ...]) -> None:
        self.broadcast(("feeds", changed, dropped, rendered))

    async def stop(self) -> None:
        self._stopping = True
        for follower in self.members:
            if follower.proc is not None and follower.proc.returncode is None:
                follower.proc.terminate()
        for follower in self.members:
            if follower.proc is None:
                continue
            try:
                await asyncio.wait_for(follower.proc.wait(), STOP_WAIT)
            except TimeoutError:
                log.warning("follower %d did not stop: killed", follower.index)
                follower.proc.kill()
                await follower.proc.wait()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _keep(self, follower: Follower) -> None:
        while not self._stopping:
            try:
                code: int | str | None = await self._run(follower)
            except OSError as exc:  # no process to be had (fork, fds): tried again
                code = f"not started: {exc}"
            if self._stopping:
                return
            log.warning("follower %d exited (%s): starting it again", follower.index, code)
            await asyncio.sleep(RESTART_DELAY)

    async def _run(self, follower: Follower) -> int | None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            reader, follower.writer = await _open(ours)
            follower.proc = await asyncio.create_subprocess_exec(
                *follower_argv(self.argv, theirs.fileno(), self.listen_fds),
                pass_fds=(theirs.fileno(), *self.listen_fds), stdin=asyncio.subprocess.DEVNULL)
        finally:
            theirs.close()
        listening = asyncio.create_task(self._listen(follower, reader))
        try:
            return await follower.proc.wait()
        finally:
            listening.cancel()
            follower.writer.close()

    async def _listen(self, follower: Follower, reader: asyncio.StreamReader) -> None:
        while (message := await _receive(reader)) is not None:
            try:
                await self._handle(follower, message)
            except Exception:  # a failed store read: the next message is handled all the same
                log.exception("follower %d: %r not handled", follower.index, message[0])

    async def _handle(self, follower: Follower, message: Message) -> None:
        app = self.app
        kind = message[0]
        if kind == "ready":
            # A version (or a drop) not stored yet cannot be read back by the follower: sent
            # now. One stored (FeedService.unstored asks) is committed: it reads it back.
            changed, dropped = app[FEEDS].unstored()
            follower.send(_frame(("feeds", changed, dropped, ())))
            follower.send(_frame(("go",)))
        elif kind == "wake":
            app[WAKE]()
        elif kind == "wake_outbox":
            app[WAKE_OUTBOX]()
        elif kind == "sites":
            app[SITES].replace(await app[STORE].sites())
            app[WAKE]()
            self.broadcast(("sites",))


class LeaderLink:
    """A follower's side of the channel: it sets the app's WAKE, WAKE_OUTBOX and
    SITES_CHANGED to messages for the leader, and applies what the leader sends."""

    def __init__(self, app: web.Application, fd: int) -> None:
        self.app = app
        self.sock = socket.socket(fileno=fd)
        self.writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._go = asyncio.Event()

    async def connect(self) -> None:
        """Open the channel and wait for the leader's "go" (see the module's docstring)."""
        reader, self.writer = await _open(self.sock)
        self.app[WAKE] = lambda: self._send(("wake",))
        self.app[WAKE_OUTBOX] = lambda: self._send(("wake_outbox",))
        self.app[SITES_CHANGED] = lambda: self._send(("sites",))
        self._reading = asyncio.create_task(self._read(reader))
        self._send(("ready",))
        go = asyncio.create_task(self._go.wait())
        await asyncio.wait([go, self._reading], return_when=asyncio.FIRST_COMPLETED)
        if not self._go.is_set():
            go.cancel()
            raise RuntimeError("the leader process closed the channel before start-up")

    def _send(self, message: Message) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.writelines(_frame(message))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while (message := await _receive(reader)) is not None:
            try:
                await self._handle(message)
            except Exception:
                log.exception("%r from the leader not handled", message[0])
        if self._go.is_set():
            log.warning("the leader process is gone: stopping")
            os.kill(os.getpid(), signal.SIGTERM)

    async def _handle(self, message: Message) -> None:
        app = self.app
        kind = message[0]
        if kind == "feeds":
            app[FEEDS].apply_changes(message[1], message[2], message[3])
        elif kind == "sites":
            app[SITES].replace(await app[STORE].sites())
        elif kind == "go":
            self._go.set()

    async def close(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
        if self.writer is not None:
            self.writer.close()
