"""The :class:`Emulator`: a loopback Bot API server with simulated people.

It speaks the real HTTP protocol of https://core.telegram.org/bots/api, so any client
(``telegrambot.Bot``, another library, plain ``urllib3``) can be pointed at ``emu.api_url``.
State is kept as Telegram keeps it for the common flows; every request is recorded in
``emu.requests`` and faults can be injected with :meth:`Emulator.inject`.

Update delivery follows Telegram: ``getUpdates`` (long polling, offset confirmation,
``limit``, ``allowed_updates`` remembered across calls) or, after ``setWebhook``, a POST per
update to a loopback URL. As on Telegram, ``chat_member``, ``message_reaction`` and
``message_reaction_count`` updates are delivered only when ``allowed_updates`` names them;
the filter applies when updates are delivered, so updates pushed before the first
``getUpdates`` follow the ``allowed_updates`` of that call.
"""

import http.client
import itertools
import json
import logging
import re
import shutil
import ssl
import tempfile
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union, cast
from urllib.parse import unquote, urlsplit

from .._httpserver import Server
from ._api import ApiError, ApiMethods
from ._facts import Facts, facts
from ._http import Answer, BadBody, decode_body, decode_query, json_answer, make_server
from .people import SimChat, SimUser
from .rules import MAX_UPLOAD, MAX_UPLOAD_LOCAL, Rules

__all__ = ["DEFAULT_TOKEN", "DEFAULT_EXCLUDED", "FAULT_KINDS", "Emulator", "EmulatorTimeout",
           "Request", "StoredFile"]

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_TOKEN", "DEFAULT_EXCLUDED", "FAULT_KINDS", "Emulator", "EmulatorTimeout",
           "Request", "StoredFile", "ChatRef"]

DEFAULT_TOKEN = "123456789:TEST-emulator-token-aaaaaaaaaaaaaaaa"
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
FAULT_KINDS = ("html502", "retry_after", "error", "drop", "delay", "blocked", "migrated")

_API_PATH = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?\Z")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)\Z")
_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_EXTENSIONS = {"photos": "jpg", "live_photos": "jpg", "music": "mp3", "voice": "oga",
               "videos": "mp4", "animations": "mp4", "video_notes": "mp4", "stickers": "webp"}
_NOT_FOUND = {"ok": False, "error_code": 404, "description": "Not Found"}


class EmulatorTimeout(AssertionError, TimeoutError):
    """A wait helper of the emulator ran out of time."""


class Request:
    """One HTTP request the emulator received, as the API saw it.

    ``method`` is the canonical name ('sendMessage'), ``params`` the decoded parameters
    (JSON-valued fields decoded), ``files`` the uploaded parts ``{name: (filename, bytes)}``,
    ``headers`` the HTTP headers, ``fault`` the kind of injected fault that answered it
    (or ``None``), ``status`` the HTTP status answered (``None`` until then, and for a
    dropped connection). ``ready`` turns true once the request is answered, or, for a
    getUpdates long poll, once it waits for updates.
    """

    __slots__ = ("method", "params", "files", "http_method", "content_type", "headers", "time",
                 "fault", "status", "ready")

    def __init__(self, method: str, params: Dict[str, Any], files: Dict[str, Tuple[str, bytes]],
                 http_method: str, headers: Dict[str, str], fault: Optional[str]) -> None:
        self.method = method
        self.headers = headers
        self.params = params
        self.files = files
        self.http_method = http_method
        self.content_type = headers.get("Content-Type", "")
        self.time = time.time()
        self.fault = fault
        self.status: Optional[int] = None
        self.ready = False

    def __repr__(self) -> str:
        files = {k: (name, "%d bytes" % len(data)) for k, (name, data) in self.files.items()}
        return "Request(%s, params=%r, files=%r)" % (self.method, self.params, files)


class _Fault:
    __slots__ = ("method", "kind", "remaining", "options")

    def __init__(self, method: str, kind: str, times: int, options: Dict[str, Any]) -> None:
        self.method, self.kind, self.remaining, self.options = method, kind, times, options


class StoredFile:
    """A file the emulator holds: uploaded by the bot or sent by a simulated user."""

    __slots__ = ("file_id", "file_unique_id", "data", "file_path", "file_name", "mime_type")

    def __init__(self, file_id: str, data: bytes, file_path: str,
                 file_name: Optional[str] = None, mime_type: Optional[str] = None) -> None:
        self.file_id = file_id
        self.file_unique_id = "U" + file_id
        self.data = data
        self.file_path = file_path
        self.file_name = file_name
        self.mime_type = mime_type

    def describe(self) -> Dict[str, Any]:
        """The fields every media object shares."""
        info = {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": len(self.data)}
        if self.file_name:
            info["file_name"] = self.file_name
        if self.mime_type:
            info["mime_type"] = self.mime_type
        return info


ChatRef = Union[SimChat, SimUser, int, str, Dict[str, Any]]


class Emulator(ApiMethods):
    """A Bot API server on 127.0.0.1 for tests, examples and manual use.

    ``Emulator(token=None, bot_username="emulator_bot")``; ``start()``/``stop()`` or use it
    as a context manager. Hand ``emu.api_url`` and ``emu.token`` to a client, or call
    :meth:`make_bot`. Create people and chats with :meth:`user`, :meth:`group`,
    :meth:`supergroup` and :meth:`channel`.

    ``strict`` says which of Telegram's refusals apply (:class:`~telegrambot.testing.rules.Rules`):
    True (the default) for all of them, flood limits included; False for none; or a
    ``Rules`` object. They can be changed later through ``emu.rules``. ``emu.clock`` is
    the time (seconds) the flood limits are measured by, ``time.monotonic`` unless a test
    sets another (frozen, or advanced by hand) to count bursts exactly.

    ``local=True`` plays a local Bot API server started with ``--local``
    (https://github.com/tdlib/telegram-bot-api): uploads up to 2000 MB, ``file://`` URIs
    read from this machine's disk, and ``getFile`` of any size answering with the absolute
    path of a copy in ``emu.local_dir`` (a temporary directory, removed on stop), which a
    bot made with ``local_mode=True`` copies instead of downloading.
    """

    def __init__(self, token: Optional[str] = None, bot_username: str = "emulator_bot", *,
                 host: str = "127.0.0.1", port: int = 0,
                 bot_first_name: str = "Emulator Bot",
                 strict: Union[bool, Rules] = True, local: bool = False) -> None:
        if isinstance(strict, Rules):
            self.rules = strict
        elif isinstance(strict, bool):
            self.rules = Rules() if strict else Rules.none()
        else:
            raise TypeError("strict must be True, False or a Rules object, not %r" % (strict,))
        self._flood = None
        self.local = local
        self.local_dir: Optional[str] = None
        self.clock: Callable[[], float] = time.monotonic
        self.token = token or DEFAULT_TOKEN
        head = self.token.split(":", 1)[0]
        self.bot_user: Dict[str, Any] = {
            "id": int(head) if head.isdigit() else 123456789, "is_bot": True,
            "first_name": bot_first_name, "username": bot_username, "can_join_groups": True,
            "can_read_all_group_messages": False, "supports_inline_queries": True,
            "can_connect_to_business": True, "has_main_web_app": False,
        }
        self.bot_from = {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        self._address = (host, port)
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._changes = 0
        self._stopping = False
        self._stopped = threading.Event()
        self._server: Optional[Server] = None
        self._webhook_thread: Optional[threading.Thread] = None
        self._webhook_conn: Optional[http.client.HTTPConnection] = None
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(1000000001)
        self._group_ids = itertools.count(-4000000001, -1)
        self._channel_ids = itertools.count(-1001000000001, -1)
        self.requests: List[Request] = []
        self.updates: List[Dict[str, Any]] = []  # every update ever pushed, in order
        self.answers: Dict[str, Dict[str, Any]] = {}  # query id -> parameters of its answer
        self._consumed_requests: set = set()
        self._consumed_messages: Dict[int, set] = {}
        self._faults: List[_Fault] = []
        self._pending: List[Tuple[str, Dict[str, Any]]] = []  # (type, update) not yet confirmed
        self._next_update_id = 100000001
        self._allowed: Optional[frozenset] = None
        self._poll_generation = 0
        self.webhook: Dict[str, Any] = {"url": ""}
        self._chats: Dict[int, SimChat] = {}
        self._usernames: Dict[str, int] = {}
        self._users: Dict[int, SimUser] = {}
        self._files: Dict[str, StoredFile] = {}
        self._file_paths: Dict[str, StoredFile] = {}
        self._queries: Dict[str, str] = {}  # query id -> kind, while unanswered
        self._settings: Dict[Tuple[Any, ...], Any] = {}
        self.business_connections: Dict[str, Dict[str, Any]] = {}
        self._listeners: List[Callable[[Dict[str, Any]], None]] = []
        self._local = threading.local()  # the Request a server thread is answering

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def facts(self) -> Facts:
        return facts()

    def start(self) -> "Emulator":
        """Start serving; returns the emulator."""
        if self._server is not None:
            return self
        facts()
        if self.local and self.local_dir is None:
            self.local_dir = tempfile.mkdtemp(prefix="telegrambot-emulator-")
        self._server = make_server(self._address, self)
        self._server.start("telegrambot-emulator-server")
        self._webhook_thread = threading.Thread(
            target=self._webhook_worker, name="telegrambot-emulator-webhook", daemon=True)
        self._webhook_thread.start()
        logger.info("emulator serving on %s", self.api_url)
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving and end every thread the emulator started (waiters are woken)."""
        with self._cond:
            self._stopping = True
            self._stopped.set()
            self._cond.notify_all()
            conn = self._webhook_conn
        if conn is not None and conn.sock is not None:
            _shutdown(conn.sock)
        if self._server is not None:
            self._server.stop(timeout)
        if self._webhook_thread is not None:
            self._webhook_thread.join(timeout)
        if self.local_dir is not None:
            shutil.rmtree(self.local_dir, ignore_errors=True)
            self.local_dir = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.server_address[1]

    @property
    def api_url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def make_bot(self, **kwargs: Any) -> Any:
        """A ``telegrambot.Bot`` pointed at this emulator."""
        from telegrambot.bot import Bot

        return Bot(self.token, api_url=self.api_url, **kwargs)

    def __repr__(self) -> str:
        where = self.api_url if self._server is not None else "not started"
        return "<Emulator %s @%s>" % (where, self.bot_user["username"])

    # -- people and chats -------------------------------------------------------------------

    def user(self, first_name: str, **fields: Any) -> SimUser:
        """A new simulated user with her private chat with the bot.

        ``fields`` are User fields (``last_name``, ``username``, ``language_code``, ...);
        ``username`` defaults to the first name in lower case (pass ``None`` for none).
        """
        with self._lock:
            user: Dict[str, Any] = {"id": next(self._user_ids), "is_bot": False,
                                    "first_name": first_name}
            fields.setdefault("username", re.sub(r"\W", "", first_name.lower()) or None)
            user.update((k, v) for k, v in fields.items() if v is not None)
            chat = {"id": user["id"], "type": "private", "first_name": first_name}
            for key in ("last_name", "username"):
                if key in user:
                    chat[key] = user[key]
            private = self._add_chat(chat, members=())
            private.members[user["id"]] = "member"
            sim = SimUser(self, user, private)
            self._users[user["id"]] = sim
            return sim

    def group(self, title: str, members: Iterable[SimUser] = (), **fields: Any) -> SimChat:
        """A basic group with the bot and ``members`` (the first one is its creator)."""
        return self._new_group("group", self._group_ids, title, members, fields)

    def supergroup(self, title: str, members: Iterable[SimUser] = (), forum: bool = False,
                   **fields: Any) -> SimChat:
        """A supergroup; ``forum=True`` makes it a forum with topics."""
        if forum:
            fields["is_forum"] = True
        return self._new_group("supergroup", self._channel_ids, title, members, fields)

    def channel(self, title: str, members: Iterable[SimUser] = (), **fields: Any) -> SimChat:
        """A channel where the bot is an administrator."""
        chat = self._new_group("channel", self._channel_ids, title, members, fields)
        chat.bot_status = "administrator"
        return chat

    def _new_group(self, kind: str, ids: Iterable[int], title: str,
                   members: Iterable[SimUser], fields: Dict[str, Any]) -> SimChat:
        with self._lock:
            chat = {"id": next(iter(ids)), "type": kind, "title": title}
            chat.update(fields)
            return self._add_chat(chat, members)

    def _add_chat(self, chat: Dict[str, Any], members: Iterable[SimUser]) -> SimChat:
        sim = SimChat(self, chat)
        for position, member in enumerate(members):
            sim.members[member.id] = "creator" if position == 0 else "member"
        self._chats[chat["id"]] = sim
        if chat.get("username"):
            self._usernames["@" + chat["username"].lower()] = chat["id"]
        return sim

    def chat(self, ref: ChatRef) -> SimChat:
        """The :class:`SimChat` for a SimChat, SimUser (her private chat), id, @name or dict."""
        if isinstance(ref, SimChat):
            return ref
        if isinstance(ref, SimUser):
            return ref.private
        if isinstance(ref, dict):
            ref = ref["id"]
        if isinstance(ref, str):
            ref = self._usernames.get(ref.lower(), ref)
        found = self._chats.get(ref) if isinstance(ref, int) else None
        if found is None:
            raise KeyError("the emulator has no chat %r" % (ref,))
        return found

    # -- updates ------------------------------------------------------------------------------

    def push_update(self, update_type: str, obj: Dict[str, Any]) -> Dict[str, Any]:
        """Queue an update of ``update_type`` carrying ``obj``; returns the full update."""
        if update_type not in self.facts.update_types:
            raise ValueError("unknown update type %r" % update_type)
        with self._cond:
            update = {"update_id": self._next_update_id, update_type: obj}
            self._next_update_id += 1
            self._pending.append((update_type, update))
            self.updates.append(update)
            self._notify()
        return update

    def _notify(self) -> None:
        self._changes += 1
        self._cond.notify_all()

    def _allowed_types(self) -> frozenset:
        if self._allowed is not None:
            return self._allowed
        return frozenset(self.facts.update_types) - DEFAULT_EXCLUDED

    def _set_allowed(self, value: Any) -> None:
        if isinstance(value, str):
            value = [value]
        self._allowed = frozenset(value) if value else None

    def _deliverable(self, limit: int) -> List[Dict[str, Any]]:
        """Drop pending updates of types not allowed; return the first ``limit`` others."""
        allowed = self._allowed_types()
        self._pending = [entry for entry in self._pending if entry[0] in allowed]
        return [update for _, update in self._pending[:limit]]

    def pending_updates(self) -> List[Dict[str, Any]]:
        """The updates pushed and not yet confirmed by the bot (getUpdates' offset, or a
        webhook's 2xx answer), oldest first."""
        with self._lock:
            return [update for _, update in self._pending]

    def renumber_updates(self, next_update_id: int) -> None:
        """Number the next updates from ``next_update_id``, as Telegram does after a bot has
        had no updates for a week (possibly below the offset its poller confirmed)."""
        with self._cond:
            self._next_update_id = int(next_update_id)

    def _confirm(self, offset: Optional[int]) -> None:
        if offset is None or offset > self._next_update_id:
            return  # an offset beyond the numbering (after a renumbering) confirms nothing
        if offset < 0:
            del self._pending[:offset]
        else:
            self._pending = [e for e in self._pending if e[1]["update_id"] >= offset]

    # -- waiting ----------------------------------------------------------------------------

    def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0,
                   message: Optional[str] = None) -> Any:
        """Wait until ``predicate()`` is truthy and return its value.

        The predicate is evaluated again after every change in the emulator (a request, an
        update, a message). Raises :class:`EmulatorTimeout` (an AssertionError and a
        TimeoutError) after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                seen = self._changes
            value = predicate()
            if value:
                return value
            with self._cond:
                while self._changes == seen:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or self._stopping:
                        raise EmulatorTimeout(
                            message or "condition not met within %.2f s" % timeout)
                    self._cond.wait(remaining)

    def wait_for_request(self, method: str, timeout: float = 5.0,
                         predicate: Optional[Callable[[Request], bool]] = None) -> Request:
        """The first answered request of ``method`` not returned by an earlier call.

        Waits until there is one. A getUpdates long poll counts once it is waiting.
        """
        name = self.facts.canonical.get(method.lower(), method)

        def find() -> Optional[Request]:
            with self._lock:
                for index, request in enumerate(self.requests):
                    if (index not in self._consumed_requests and request.method == name
                            and request.ready and (predicate is None or predicate(request))):
                        self._consumed_requests.add(index)
                        return request
            return None

        return self.wait_until(find, timeout, "no %s request within %.2f s (received: %s)" % (
            name, timeout, ", ".join(r.method for r in self.requests[-10:]) or "none"))

    def wait_for_message(self, chat: ChatRef, timeout: float = 5.0,
                         predicate: Optional[Callable[[Dict[str, Any]], bool]] = None
                         ) -> Dict[str, Any]:
        """The first message the bot sent into ``chat`` not returned by an earlier call."""
        sim = self.chat(chat)

        def find() -> Optional[Dict[str, Any]]:
            with self._lock:
                seen = self._consumed_messages.setdefault(sim.id, set())
                for message in sim.messages.values():
                    if (message["message_id"] not in seen and sim.is_from_bot(message)
                            and (predicate is None or predicate(message))):
                        seen.add(message["message_id"])
                        return message
            return None

        return self.wait_until(find, timeout, "the bot sent no %smessage to %s within %.2f s" % (
            "matching " if predicate else "", sim.describe(), timeout))

    def transcript(self, chat: ChatRef) -> List[Dict[str, Any]]:
        """The messages of a chat in order, both directions, as they are now."""
        with self._lock:
            return list(self.chat(chat).messages.values())

    def add_listener(self, callback: Callable[[Dict[str, Any]], None]) -> None:
        """Call ``callback(message)`` for every message the bot sends (from a server thread)."""
        self._listeners.append(callback)

    # -- faults -----------------------------------------------------------------------------

    def inject(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
        """Answer the next ``times`` calls of ``method`` (or ``"*"``) with a fault.

        Kinds: ``"html502"`` (an HTML page, status 502); ``"retry_after"`` (429 with
        ``parameters.retry_after = seconds``, default 1); ``"error"`` (``error_code``,
        ``description``, ``parameters``); ``"blocked"`` (403, bot blocked by the user);
        ``"migrated"`` (400 with ``parameters.migrate_to_chat_id``); ``"drop"`` (close the
        connection without an answer); ``"delay"`` (wait ``seconds`` then answer normally).
        """
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r; one of %s" % (kind, ", ".join(FAULT_KINDS)))
        name = method if method == "*" else self.facts.canonical.get(method.lower())
        if name is None:
            raise ValueError("unknown method %r" % method)
        with self._lock:
            self._faults.append(_Fault(name, kind, times, options))

    def _take_fault(self, method: str) -> Optional[_Fault]:
        with self._lock:
            for fault in self._faults:
                if fault.method in (method, "*"):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _fault_answer(self, fault: _Fault) -> Optional[Answer]:
        options = fault.options
        if fault.kind == "html502":
            return Answer(502, _HTML_502, "text/html")
        if fault.kind == "retry_after":
            seconds = int(options.get("seconds", options.get("retry_after", 1)))
            return ApiError(429, "Too Many Requests: retry after %d" % seconds,
                            {"retry_after": seconds}).answer()
        if fault.kind == "blocked":
            return ApiError(403, "Forbidden: bot was blocked by the user").answer()
        if fault.kind == "migrated":
            return ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                            {"migrate_to_chat_id": options.get("migrate_to_chat_id",
                                                               -1001000000000)}).answer()
        if fault.kind == "error":
            return ApiError(int(options.get("error_code", 400)),
                            options.get("description", "Bad Request: injected error"),
                            options.get("parameters")).answer()
        return None  # drop

    # -- HTTP entry point ----------------------------------------------------------------------

    def serve(self, http_method: str, path: str, query: str, headers: Any,
              body: bytes) -> Optional[Answer]:
        """Answer one HTTP request (called by the server's connection threads)."""
        path = unquote(path)
        match = _API_PATH.match(path)
        if match is None:
            if path.startswith("/file/"):
                return self._serve_file(path)
            if path.startswith("/_emulator/"):
                return self._serve_control(path, query, headers, body)
            return json_answer(404, _NOT_FOUND)
        if match.group(1) != self.token:
            return ApiError(401, "Unauthorized").answer()
        method = self.facts.canonical.get(match.group(2).lower())
        if method is None:
            return json_answer(404, _NOT_FOUND)
        content_type = headers.get("Content-Type", "")
        try:
            raw = decode_query(query) if query else {}
            body_params, files = decode_body(content_type, body)
        except BadBody as exc:
            return ApiError(400, "Bad Request: %s" % exc).answer()
        limit = self.max_upload
        too_big = self.rules.files and any(len(data) > limit for _, data in files.values())
        if too_big:  # recorded, but its bytes are not kept
            files = {k: (name, data if len(data) <= limit else b"")
                     for k, (name, data) in files.items()}
        raw.update(body_params)
        decode = self.facts.decode_param
        params = {key: decode(method, key, value) for key, value in raw.items()}
        fault = self._take_fault(method)
        request = Request(method, params, files, http_method, dict(headers.items()),
                          fault.kind if fault else None)
        with self._cond:
            self.requests.append(request)
            self._notify()
        logger.debug("emulator: %s%s", method, " (fault: %s)" % fault.kind if fault else "")
        self._local.request = request
        if too_big:  # refused before anything else, as Telegram's front end does
            answer: Optional[Answer] = ApiError(413, "Request Entity Too Large").answer()
        else:
            answer = self._answer(request, fault)
        with self._cond:
            request.status = answer.status if answer is not None else None
            request.ready = True
            self._notify()
        return answer

    def _answer(self, request: Request, fault: Optional[_Fault]) -> Optional[Answer]:
        if fault is not None:
            if fault.kind != "delay":
                return self._fault_answer(fault)
            self._stopped.wait(float(fault.options.get("seconds", 1.0)))
        try:
            result = self.call(request.method, request.params, request.files)
        except ApiError as exc:
            return exc.answer()
        except Exception:
            logger.exception("emulator: %s failed", request.method)
            return ApiError(500, "Internal Server Error: the emulator failed").answer()
        return json_answer(200, {"ok": True, "result": result})

    def _waiting(self) -> None:
        """The current request (a long poll) now waits: wait_for_request may return it."""
        request = getattr(self._local, "request", None)
        if request is not None and not request.ready:
            request.ready = True
            self._notify()

    def max_body(self) -> Optional[int]:
        """The largest request body read whole (a larger one is answered 413 unread)."""
        return self.max_upload + 1024 * 1024 if self.rules.files else None

    @property
    def max_upload(self) -> int:
        """The largest file a request may upload: 50 MB, or 2000 MB as a local server."""
        return MAX_UPLOAD_LOCAL if self.local else MAX_UPLOAD

    def _serve_file(self, path: str) -> Answer:
        match = _FILE_PATH.match(path)
        if match is None or match.group(1) != self.token:
            return json_answer(404, _NOT_FOUND)
        with self._lock:
            stored = self._file_paths.get(match.group(2))
        if stored is None:
            return json_answer(404, _NOT_FOUND)
        return Answer(200, stored.data, stored.mime_type or "application/octet-stream")

    def _serve_control(self, path: str, query: str, headers: Any, body: bytes) -> Answer:
        """``POST /_emulator/send`` with ``user`` (a name) and ``text``: a user speaks."""
        if path.rstrip("/") != "/_emulator/send":
            return json_answer(404, _NOT_FOUND)
        try:
            params = decode_query(query) if query else {}
            params.update(decode_body(headers.get("Content-Type", ""), body)[0])
            message = self.user_named(str(params["user"])).send(str(params["text"]))
        except (BadBody, KeyError) as exc:
            return json_answer(400, {"ok": False, "error_code": 400,
                                     "description": "Bad Request: %s" % exc})
        return json_answer(200, {"ok": True, "result": message})

    def user_named(self, first_name: str) -> SimUser:
        """The simulated user with this first name, created on first use."""
        with self._lock:
            for sim in self._users.values():
                if sim.user["first_name"] == first_name:
                    return sim
            return self.user(first_name)

    # -- webhook delivery ----------------------------------------------------------------------

    def _webhook_worker(self) -> None:
        backoff = 0.05
        while True:
            with self._cond:
                while not self._stopping and not (self.webhook["url"] and self._deliverable(1)):
                    self._cond.wait()
                if self._stopping:
                    return
                update = self._deliverable(1)[0]
                url, secret = self.webhook["url"], self.webhook.get("secret_token")
            error = self._post_update(url, secret, update)
            with self._cond:
                if error is None:
                    self._pending = [e for e in self._pending if e[1] is not update]
                    backoff = 0.05
                else:
                    self.webhook["last_error_date"] = int(time.time())
                    self.webhook["last_error_message"] = error
                self._notify()
                deadline = time.monotonic() + (backoff if error else 0)
                while not self._stopping and time.monotonic() < deadline:
                    self._cond.wait(deadline - time.monotonic())
                if error:
                    backoff = min(backoff * 2, 1.0)

    def _post_update(self, url: str, secret: Optional[str], update: Dict[str, Any]
                     ) -> Optional[str]:
        """POST one update; None on a 2xx answer, else Telegram's kind of error text."""
        parts = urlsplit(url)
        host = cast(str, parts.hostname)  # setWebhook accepts loopback hosts only
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                host, parts.port, timeout=5,
                context=ssl._create_unverified_context())  # loopback test certificates
        else:
            conn = http.client.HTTPConnection(host, parts.port, timeout=5)
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        with self._lock:
            self._webhook_conn = conn
        try:
            target = parts.path or "/"
            conn.request("POST", target + ("?" + parts.query if parts.query else ""),
                         json.dumps(update).encode("utf-8"), headers)
            response = conn.getresponse()
            response.read()
            if 200 <= response.status < 300:
                return None
            return "Wrong response from the webhook: %d %s" % (response.status, response.reason)
        except ConnectionRefusedError:
            return "Connection refused"
        except OSError as exc:
            return "Connection failed: %s" % (exc.__class__.__name__,)
        except http.client.HTTPException as exc:
            return "Wrong response from the webhook: %s" % (exc.__class__.__name__,)
        finally:
            with self._lock:
                self._webhook_conn = None
            conn.close()

    # -- files --------------------------------------------------------------------------------

    def store_file(self, data: bytes, kind: str = "documents", file_name: Optional[str] = None,
                   mime_type: Optional[str] = None) -> StoredFile:
        """Keep ``data`` as a file the bot can getFile and download."""
        with self._lock:
            number = next(self._ids)
            ext = (file_name.rsplit(".", 1)[-1] if file_name and "." in file_name
                   else _EXTENSIONS.get(kind, "bin"))
            stored = StoredFile("F%06d-%s" % (number, kind[:5]), data,
                                "%s/file_%d.%s" % (kind, number, ext), file_name, mime_type)
            self._files[stored.file_id] = stored
            self._file_paths[stored.file_path] = stored
            return stored

    def file(self, file_id: str) -> StoredFile:
        """The stored file with this id (KeyError if unknown)."""
        return self._files[file_id]

    def new_id(self, prefix: str) -> str:
        """A fresh identifier for queries, links and the like."""
        return "%s%d" % (prefix, next(self._ids))


def _shutdown(sock: Any) -> None:
    import socket

    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
