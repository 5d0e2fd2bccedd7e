"""The emulator's Bot API methods (a mixin of :class:`~telegrambot.testing.Emulator`).

:meth:`ApiMethods.call` checks the required parameters, then runs ``_api_<method>`` when
one is defined, else a generic answer built from the method's declared return type: sent
messages (every method returning a Message), edits (Message or True), settings kept by
``setX`` for ``getX``, query answers accepted once, and a plausible object otherwise.
Handlers run with the emulator's lock held and raise :class:`ApiError` as Telegram answers.
"""

import json
import mimetypes
import os
import random
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..core.limits import EDITS, FloodState, Target, counts, retry_after_for
from ..text import EntityParseError, parse
from ._http import Answer, json_answer
from .rules import (
    MAX_CAPTION,
    MAX_DOWNLOAD,
    MAX_MEDIA_GROUP,
    MAX_TEXT,
    MAX_UPLOAD_LOCAL,
    Rules,
    keyboard_error,
)

if TYPE_CHECKING:  # pragma: no cover
    from ._facts import Facts
    from .emulator import ChatRef, StoredFile
    from .people import SimChat, SimUser

Params = Dict[str, Any]
Files = Dict[str, Tuple[str, bytes]]

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = ("Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first")
POLL_CONFLICT = ("Conflict: terminated by other getUpdates request; "
                 "make sure that only one bot instance is running")
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")

# send parameter -> the Message field that echoes it
_ECHO = {
    "text": "text", "entities": "entities", "caption": "caption",
    "caption_entities": "caption_entities", "show_caption_above_media": "show_caption_above_media",
    "link_preview_options": "link_preview_options", "message_thread_id": "message_thread_id",
    "business_connection_id": "business_connection_id", "checklist": "checklist",
    "rich_message": "rich_message", "has_spoiler": "has_media_spoiler",
    "protect_content": "has_protected_content", "message_effect_id": "effect_id",
}
# formatted text parameter, its parse mode parameter, the entities it becomes
_FORMATTED = (("text", "parse_mode", "entities"), ("caption", "parse_mode", "caption_entities"),
              ("question", "question_parse_mode", "question_entities"),
              ("explanation", "explanation_parse_mode", "explanation_entities"))
# media parameter -> folder of its stored files
MEDIA_KINDS = {
    "photo": "photos", "audio": "music", "document": "documents", "video": "videos",
    "animation": "animations", "voice": "voice", "video_note": "video_notes",
    "sticker": "stickers", "live_photo": "live_photos",
}
# Message fields that are not content (kept out of forwards and copies)
_ENVELOPE = frozenset({
    "message_id", "from", "sender_chat", "date", "chat", "reply_to_message", "edit_date",
    "forward_origin", "message_thread_id", "is_topic_message", "business_connection_id",
    "reply_markup", "media_group_id",
})
_MEMBER_TYPES = {
    "creator": "ChatMemberOwner", "administrator": "ChatMemberAdministrator",
    "member": "ChatMemberMember", "restricted": "ChatMemberRestricted",
    "left": "ChatMemberLeft", "kicked": "ChatMemberBanned",
}
_PRESENT = ("creator", "administrator", "member", "restricted")


class ApiError(Exception):
    """An error answer of the Bot API: ``error_code``, ``description``, ``parameters``."""

    def __init__(self, code: int, description: str,
                 parameters: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(code, description)
        self.code, self.description, self.parameters = code, description, parameters

    def answer(self) -> Answer:
        payload: Dict[str, Any] = {"ok": False, "error_code": self.code,
                                   "description": self.description}
        if self.parameters:
            payload["parameters"] = self.parameters
        return json_answer(self.code, payload)


def bad(text: str) -> ApiError:
    return ApiError(400, "Bad Request: " + text)


# methods whose `text` is the text of a message (1-4096 characters)
_MESSAGE_TEXT = frozenset({"sendMessage", "editMessageText"})


def _media_items(media: Any) -> List[Any]:
    if isinstance(media, dict):
        return [media]
    return media if isinstance(media, list) else []


def now() -> int:
    return int(time.time())


def inline_keyboard(markup: Any) -> Optional[Dict[str, Any]]:
    """The markup when it is a non-empty inline keyboard (the only kind a Message shows)."""
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        return markup
    return None


class ApiMethods:
    """Bot API method implementations; see the module docstring."""

    if TYPE_CHECKING:  # pragma: no cover
        # what the host class (Emulator) provides
        bot_user: Dict[str, Any]
        bot_from: Dict[str, Any]
        webhook: Dict[str, Any]
        local_dir: Optional[str]
        answers: Dict[str, Dict[str, Any]]
        business_connections: Dict[str, Dict[str, Any]]
        _cond: threading.Condition
        _stopping: bool
        _poll_generation: int
        _pending: List[Tuple[str, Dict[str, Any]]]
        _allowed: Optional[frozenset]
        _users: Dict[int, SimUser]
        _files: Dict[str, StoredFile]
        _queries: Dict[str, str]
        _settings: Dict[Tuple[Any, ...], Any]
        _listeners: List[Callable[[Dict[str, Any]], None]]
        rules: Rules
        clock: Callable[[], float]
        _flood: Optional[FloodState]

        @property
        def facts(self) -> Facts: ...
        def chat(self, ref: ChatRef) -> SimChat: ...
        def new_id(self, prefix: str) -> str: ...
        def store_file(self, data: bytes, kind: str = ..., file_name: Optional[str] = ...,
                       mime_type: Optional[str] = ...) -> StoredFile: ...
        def _notify(self) -> None: ...
        def _waiting(self) -> None: ...
        def _set_allowed(self, value: Any) -> None: ...
        def _confirm(self, offset: Optional[int]) -> None: ...
        def _deliverable(self, limit: int) -> List[Dict[str, Any]]: ...

    # -- dispatch -----------------------------------------------------------------------------

    def call(self, method: str, params: Params, files: Files) -> Any:
        """Run ``method`` as the Bot API would; returns its result or raises ApiError."""
        self._check_required(method, params, files)
        handler = getattr(self, "_api_" + method, None)
        with self._cond:
            params = self._formatted(params)
            self._check_rules(method, params)
            target = self._flood_target(method, params)
            if target is not None:
                assert self._flood is not None
                wait = self._flood.delay(target, self.clock())
                if wait > 0:
                    seconds = retry_after_for(wait)
                    raise ApiError(429, "Too Many Requests: retry after %d" % seconds,
                                   {"retry_after": seconds})
            if handler is not None:
                result = handler(params, files)
            else:
                result = self._generic(method, params, files)
            if target is not None:
                assert self._flood is not None
                self._flood.take(target, self.clock())
            return result

    # -- Telegram's rules (telegrambot.testing.rules) -------------------------------------------

    def _check_rules(self, method: str, p: Params) -> None:
        rules = self.rules
        if rules.text and method in _MESSAGE_TEXT and isinstance(p.get("text"), str):
            if not p["text"].strip():
                raise bad("message text is empty")
            self._check_length(p["text"], MAX_TEXT, "message is too long")
        if rules.caption:
            for item in [p] + [m for m in _media_items(p.get("media")) if isinstance(m, dict)]:
                if isinstance(item.get("caption"), str):
                    self._check_length(item["caption"], MAX_CAPTION, "message caption is too long")
        if "reply_markup" in p and (rules.keyboards or rules.callback_data):
            problem = keyboard_error(p["reply_markup"], rules.callback_data, rules.keyboards)
            if problem:
                raise bad(problem)

    @staticmethod
    def _check_length(text: str, limit: int, too_long: str) -> None:
        if len(text) > limit:
            raise bad(too_long)

    def _flood_target(self, method: str, p: Params) -> Optional[Target]:
        """The flood bucket a call counts against (None: the flood rule is off, or it does
        not count); the chat's kind comes from the chat itself."""
        limits = self.rules.flood_limits
        if limits is None:
            self._flood = None
            return None
        if not counts(method):
            return None
        if self._flood is None or self._flood.limits != limits:
            self._flood = FloodState(limits)
        key: Any = None
        kind = None
        ref: Any = p.get("chat_id")
        try:
            chat = self.chat(ref) if ref not in (None, "") else None
        except KeyError:
            chat = None
        if chat is not None:
            key, kind = chat.id, ("private" if chat.type == "private" else "group")
        if method in EDITS:  # an edit counts toward its chat's limit only
            return Target(key, kind, False, False) if chat is not None else None
        return Target(key, kind, bool(p.get("allow_paid_broadcast")), True)

    def _check_required(self, method: str, p: Params, files: Files) -> None:
        for name in self.facts.required[method]:
            if name in files or p.get(name) not in (None, ""):
                continue
            if name == "text":
                raise bad("message text is empty")
            if name in MEDIA_KINDS:
                raise bad("there is no %s in the request" % name.replace("_", " "))
            raise bad("%s is empty" % name)

    def _formatted(self, p: Params) -> Params:
        """``p`` with its text and captions in a parse mode turned into plain text and
        entities, as Telegram stores them (in InputMedia items too); the parse mode wins
        over entities given as well."""
        p = dict(p)
        for text_key, mode_key, entities_key in _FORMATTED:
            if not p.get(mode_key) or not isinstance(p.get(text_key), str):
                continue
            try:
                plain, entities = parse(p[text_key], p[mode_key])
            except EntityParseError as exc:
                if not self.rules.entities:
                    continue  # kept as it came
                raise bad(exc.description)
            except ValueError:
                raise bad("unsupported parse_mode")
            if text_key == "text" and not plain.strip() and self.rules.text:
                raise bad("message text is empty")
            p[text_key] = plain
            p.pop(entities_key, None)
            if entities:
                p[entities_key] = [self._mentioned(entity) for entity in entities]
        media = p.get("media")
        if isinstance(media, dict):
            p["media"] = self._formatted(media)
        elif isinstance(media, list):
            p["media"] = [self._formatted(m) if isinstance(m, dict) else m for m in media]
        return p

    def _mentioned(self, entity: Dict[str, Any]) -> Dict[str, Any]:
        """A parsed entity, a text_mention with the whole User it names."""
        if entity["type"] != "text_mention":
            return entity
        user_id = entity["user"]["id"]
        known = self._users.get(user_id)
        user = self.bot_from if user_id == self.bot_user["id"] else (
            known.user if known is not None else self.facts.build("User", {"id": user_id}))
        return dict(entity, user=user)

    def _generic(self, method: str, p: Params, files: Files) -> Any:
        returns = self.facts.methods[method]["returns"]
        chat = self._target(p) if "chat_id" in p else None
        if method.startswith("answer"):
            self._answer_query(p)
        if returns == ["Message"]:
            return self._bot_message(self._target(p), self._content(method, p, files), p)
        if "Message" in returns:
            return self._edit(method, p, files)
        stored = self._setting(method, p)
        if stored is not None:
            return stored
        if returns == ["Boolean"]:
            return True
        if returns == ["String"]:
            return "https://t.me/+%s" % self.new_id("link") if "Link" in method else self.new_id("s")
        defaults = {"User": self.bot_from, "Chat": chat.chat if chat else self._bot_chat()}
        return self.facts.build(returns[0], p, defaults)

    def _bot_chat(self) -> Dict[str, Any]:
        return {"id": self.bot_user["id"], "type": "private",
                "first_name": self.bot_user["first_name"]}

    def _setting(self, method: str, p: Params) -> Any:
        """``setX`` stores its parameters, ``getX`` returns them, ``deleteX`` forgets them.

        Returns None when the method is not part of such a family (the caller goes on).
        """
        verb = next((v for v in ("set", "get", "delete") if method.startswith(v)), "")
        subject = method[len(verb):]
        if not verb or not all(v + subject in self.facts.methods for v in ("set", "get")):
            return None
        key = (subject, p.get("language_code") or "", json.dumps(p.get("scope"), sort_keys=True),
               bool(p.get("for_channels")), p.get("chat_id"), p.get("user_id"))
        if verb == "set":
            self._settings[key] = dict(p)
            return True
        if verb == "delete":
            self._settings.pop(key, None)
            return True
        stored = self._settings.get(key, {})
        returns = self.facts.methods[method]["returns"][0]
        if returns.startswith("Array of "):
            return next((v for v in stored.values() if isinstance(v, list)), [])
        obj = next((v for v in stored.values() if isinstance(v, dict)), None)
        if obj is not None and returns != "BotName":
            return obj
        values = dict(stored) or {"name": self.bot_user["first_name"]}
        return self.facts.build(returns, values, {"User": self.bot_from})

    # -- identity and updates ---------------------------------------------------------------------

    def _api_getMe(self, p: Params, files: Files) -> Any:
        return dict(self.bot_user)

    def _api_getUpdates(self, p: Params, files: Files) -> Any:
        if self.webhook["url"]:
            raise ApiError(409, WEBHOOK_CONFLICT)
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(float(p.get("timeout") or 0), 0.0)
        if "allowed_updates" in p:
            self._set_allowed(p["allowed_updates"])
        offset = p.get("offset")
        self._confirm(int(offset) if offset not in (None, "") else None)
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        while True:
            batch = self._deliverable(limit)
            if batch or self._stopping:
                return batch
            if generation != self._poll_generation:
                raise ApiError(409, POLL_CONFLICT)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._waiting()
            self._cond.wait(remaining)

    def _api_setWebhook(self, p: Params, files: Files) -> Any:
        url = p.get("url") or ""
        if url:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or parts.hostname not in (
                    "127.0.0.1", "localhost", "::1"):
                raise bad("bad webhook: the emulator delivers only to http(s) loopback URLs")
            try:
                valid_port = parts.port is None or parts.port > 0
            except ValueError:  # not a number, or out of range
                valid_port = False
            if not valid_port:
                raise bad("bad webhook: invalid port")
        secret = p.get("secret_token")
        if secret is not None and not (
                0 < len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)):
            raise bad("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._pending.clear()
        if "allowed_updates" in p:
            self._set_allowed(p["allowed_updates"])
        self.webhook = {"url": url}
        if url:
            self.webhook.update(secret_token=secret, max_connections=p.get("max_connections", 40),
                                has_custom_certificate="certificate" in files)
        self._notify()
        return True

    def _api_deleteWebhook(self, p: Params, files: Files) -> Any:
        self.webhook = {"url": ""}
        if p.get("drop_pending_updates"):
            self._pending.clear()
        self._notify()
        return True

    def _api_getWebhookInfo(self, p: Params, files: Files) -> Any:
        info = {"url": self.webhook["url"],
                "has_custom_certificate": bool(self.webhook.get("has_custom_certificate")),
                "pending_update_count": len(self._deliverable(100000))}
        if info["url"]:
            info["max_connections"] = self.webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed is not None:
                info["allowed_updates"] = sorted(self._allowed)
            for key in ("last_error_date", "last_error_message"):
                if key in self.webhook:
                    info[key] = self.webhook[key]
        return info

    # -- chats ----------------------------------------------------------------------------------

    def _target(self, p: Params, key: str = "chat_id") -> "SimChat":
        """The chat a request addresses, failing as Telegram does."""
        ref = p.get(key)
        if ref in (None, ""):
            raise bad("%s is empty" % key)
        try:
            chat = self.chat(ref)
        except KeyError:
            raise bad("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": chat.migrated_to})
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.bot_status == "kicked":
            raise ApiError(403, "Forbidden: bot was kicked from the %s chat" % chat.type)
        if chat.bot_status == "left":
            raise ApiError(403, "Forbidden: bot is not a member of the %s chat" % chat.type)
        return chat

    def _person(self, user_id: Any) -> Dict[str, Any]:
        if user_id == self.bot_user["id"]:
            return self.bot_from
        sim = self._users.get(user_id)
        if sim is None:
            raise bad("user not found")
        return sim.user

    def _member(self, chat: "SimChat", user_id: int) -> Dict[str, Any]:
        status = chat.status_of(user_id)
        values: Dict[str, Any] = dict(chat.member_fields.get(user_id, {}), user=self._person(user_id))
        if status == "administrator":
            values.update(can_be_edited=False, can_manage_chat=True, is_anonymous=False)
        return self.facts.build(_MEMBER_TYPES[status], values, {"User": self.bot_from})

    def _api_getChat(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        values = dict(chat.chat, accent_color_id=0, max_reaction_count=11)
        if chat.pinned is not None:
            values["pinned_message"] = chat.pinned
        return self.facts.build("ChatFullInfo", values)

    def _api_getChatMember(self, p: Params, files: Files) -> Any:
        return self._member(self._target(p), p["user_id"])

    def _api_getChatAdministrators(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        ids = [uid for uid, status in chat.members.items() if status in ("creator", "administrator")]
        if chat.bot_status == "administrator":
            ids.append(self.bot_user["id"])
        return [self._member(chat, uid) for uid in ids]

    def _api_getChatMemberCount(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        return sum(1 for s in chat.members.values() if s in _PRESENT) + (chat.bot_status in _PRESENT)

    def _set_status(self, p: Params, status: str) -> bool:
        chat = self._target(p)
        self._person(p["user_id"])
        if chat.status_of(p["user_id"]) == "creator":
            raise bad("can't restrict the chat owner")
        chat.members[p["user_id"]] = status
        self._notify()
        return True

    def _api_banChatMember(self, p: Params, files: Files) -> Any:
        return self._set_status(p, "kicked")

    def _api_unbanChatMember(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        if p.get("only_if_banned") and chat.status_of(p["user_id"]) != "kicked":
            return True
        return self._set_status(p, "left")

    def _api_restrictChatMember(self, p: Params, files: Files) -> Any:
        return self._set_status(p, "restricted")

    def _api_promoteChatMember(self, p: Params, files: Files) -> Any:
        return self._set_status(p, "administrator")

    def _api_leaveChat(self, p: Params, files: Files) -> Any:
        self._target(p).bot_status = "left"
        self._notify()
        return True

    def _join_request(self, p: Params, status: str) -> bool:
        chat = self._target(p)
        if p["user_id"] not in chat.join_requests:
            raise bad("HIDE_REQUESTER_MISSING")
        chat.join_requests.discard(p["user_id"])
        if status:
            chat.members[p["user_id"]] = status
        self._notify()
        return True

    def _api_approveChatJoinRequest(self, p: Params, files: Files) -> Any:
        return self._join_request(p, "member")

    def _api_declineChatJoinRequest(self, p: Params, files: Files) -> Any:
        return self._join_request(p, "")

    def _api_setChatTitle(self, p: Params, files: Files) -> Any:
        self._target(p).chat["title"] = p["title"]
        return True

    def _api_setChatDescription(self, p: Params, files: Files) -> Any:
        self._target(p).chat["description"] = p.get("description") or ""
        return True

    def _api_pinChatMessage(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        chat.pinned = self._find(chat, p["message_id"], "message to pin not found")
        return True

    def _api_unpinChatMessage(self, p: Params, files: Files) -> Any:
        self._target(p).pinned = None
        return True

    def _api_createForumTopic(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        if not chat.chat.get("is_forum"):
            raise bad("the chat is not a forum")
        topic = {"name": p["name"], "icon_color": p.get("icon_color", 7322096)}
        if p.get("icon_custom_emoji_id"):
            topic["icon_custom_emoji_id"] = p["icon_custom_emoji_id"]
        service = self._bot_message(chat, {"forum_topic_created": dict(topic)}, {})
        return dict(topic, message_thread_id=service["message_id"])

    def _api_getBusinessConnection(self, p: Params, files: Files) -> Any:
        connection = self.business_connections.get(p["business_connection_id"])
        if connection is None:
            raise bad("business connection not found")
        return connection

    # -- files ----------------------------------------------------------------------------------

    def _api_getFile(self, p: Params, files: Files) -> Any:
        stored = self._files.get(p["file_id"])
        if stored is None:
            raise bad("invalid file_id")
        if self.local_dir is not None:  # a local server: any size, a path on its disk
            path = os.path.join(self.local_dir, *stored.file_path.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(stored.data)
            return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                    "file_size": len(stored.data), "file_path": path}
        if self.rules.files and len(stored.data) > MAX_DOWNLOAD:
            raise bad("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data), "file_path": stored.file_path}

    def _api_uploadStickerFile(self, p: Params, files: Files) -> Any:
        stored = self._input_file("sticker", p, files)
        return self._api_getFile({"file_id": stored.file_id}, files)

    def _input_file(self, name: str, p: Params, files: Files, value: Any = None) -> "StoredFile":
        """The stored file an InputFile parameter refers to (upload, attach://, id or URL)."""
        value = p.get(name) if value is None else value
        part = files.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = files.get(value[len("attach://"):])
            if part is None:
                raise bad("can't find attached file %r in the request" % value[9:])
        kind = MEDIA_KINDS.get(name, "documents")
        if part is not None:
            filename, data = part
            return self.store_file(data, kind, filename, mimetypes.guess_type(filename)[0])
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return self.store_file(b"", kind, value.rsplit("/", 1)[-1] or None)
        if isinstance(value, str) and value.startswith("file://") and self.local_dir is not None:
            path = url2pathname(urlsplit(value).path)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                raise bad("file %s not found" % path) from None
            if self.rules.files and len(data) > MAX_UPLOAD_LOCAL:
                raise ApiError(413, "Request Entity Too Large")
            filename = os.path.basename(path)
            return self.store_file(data, kind, filename, mimetypes.guess_type(filename)[0])
        raise bad("wrong file identifier/HTTP URL specified")

    # -- sending --------------------------------------------------------------------------------

    def _bot_message(self, chat: "SimChat", fields: Dict[str, Any], p: Params) -> Dict[str, Any]:
        """Store and return a message the bot sends into ``chat``."""
        message: Dict[str, Any] = {"message_id": chat.next_message_id()}
        if chat.type == "channel":
            message["sender_chat"] = chat.chat
        else:
            message["from"] = self.bot_from
        message.update(date=now(), chat=chat.chat)
        reply = p.get("reply_parameters") or (
            {"message_id": p["reply_to_message_id"]} if p.get("reply_to_message_id") else None)
        if isinstance(reply, dict) and reply.get("message_id"):
            target = chat.messages.get(reply["message_id"])
            if target is not None:
                message["reply_to_message"] = {k: v for k, v in target.items()
                                               if k != "reply_to_message"}
            elif not (reply.get("allow_sending_without_reply")
                      or p.get("allow_sending_without_reply")):
                raise bad("message to be replied not found")
        if fields.get("message_thread_id") and chat.chat.get("is_forum"):
            fields["is_topic_message"] = True
        message.update(fields)
        chat.add(message, from_bot=True)
        for listener in list(self._listeners):
            try:
                listener(message)
            except Exception:
                self._log_listener_error()
        self._notify()
        return message

    def _log_listener_error(self) -> None:
        import logging

        logging.getLogger(__name__).exception("emulator listener failed")

    def _content(self, method: str, p: Params, files: Files) -> Dict[str, Any]:
        """The Message fields a send method fills from its parameters."""
        fields = self._echo(p)
        markup = inline_keyboard(p.get("reply_markup"))
        if markup:
            fields["reply_markup"] = markup
        uploads = self._uploads(method)
        for name in uploads:
            if name in MEDIA_KINDS and (name in p or name in files):
                fields[name] = self._media(name, p, files, uploads)
        if method == "sendAnimation":
            fields["document"] = self.facts.build("Document", fields["animation"])
        build = getattr(self, "_content_" + method, None)
        if build is not None:
            fields.update(build(p))
        return fields

    def _echo(self, p: Params) -> Dict[str, Any]:
        """The Message fields echoing send parameters, reshaped to the Message's types."""
        types = self.facts.field_types["Message"]
        return {_ECHO[k]: self.facts.convert(v, types[_ECHO[k]][0])
                for k, v in p.items() if k in _ECHO and v not in (None, False)}

    def _uploads(self, method: str) -> List[str]:
        return [name for name, types in self.facts.param_types[method].items()
                if "InputFile" in types]

    def _media(self, name: str, p: Params, files: Files, uploads: List[str],
               value: Any = None) -> Any:
        """The media object (Audio, Array of PhotoSize, ...) for an uploaded file."""
        stored = self._input_file(name, p, files, value)
        return self.media_object(name, stored, {k: v for k, v in p.items() if k not in uploads})

    def media_object(self, kind: str, stored: "StoredFile", values: Dict[str, Any]) -> Any:
        """The Message field ``kind`` ('photo', 'audio', ...) describing a stored file."""
        values = dict(values, **stored.describe())
        type_name = self.facts.field_types["Message"][kind][0]
        if type_name.startswith("Array of "):
            values.setdefault("width", 1280)
            values.setdefault("height", 720)
            return [self.facts.build(type_name[len("Array of "):], values)]
        return self.facts.build(type_name, values, {"User": self.bot_from})

    def _content_sendLocation(self, p: Params) -> Dict[str, Any]:
        return {"location": self.facts.build("Location", p)}

    def _content_sendVenue(self, p: Params) -> Dict[str, Any]:
        location = self.facts.build("Location", p)
        return {"venue": self.facts.build("Venue", dict(p, location=location)),
                "location": location}

    def _content_sendContact(self, p: Params) -> Dict[str, Any]:
        return {"contact": self.facts.build("Contact", p)}

    def _content_sendDice(self, p: Params) -> Dict[str, Any]:
        emoji = p.get("emoji") or "\U0001f3b2"
        top = {"\U0001f3b0": 64, "\U0001f3c0": 5, "\u26bd": 5}.get(emoji, 6)
        return {"dice": {"emoji": emoji, "value": random.randint(1, top)}}

    def _content_sendPoll(self, p: Params) -> Dict[str, Any]:
        options = []
        for index, option in enumerate(p.get("options") or []):
            option = option if isinstance(option, dict) else {"text": str(option)}
            options.append(dict(option, persistent_id=str(index), voter_count=0))
        values = {"is_anonymous": True, "type": "regular", "allows_multiple_answers": False,
                  "allows_revoting": False, "members_only": False, "is_closed": False}
        values.update((k, v) for k, v in p.items() if v is not None)
        values.update(id=self.new_id("poll"), options=options, total_voter_count=0)
        return {"poll": self.facts.build("Poll", values)}

    def _content_sendInvoice(self, p: Params) -> Dict[str, Any]:
        total = sum(int(price.get("amount", 0)) for price in p.get("prices") or [])
        values = dict(p, total_amount=total, start_parameter=p.get("start_parameter", ""))
        return {"invoice": self.facts.build("Invoice", values)}

    def _content_sendGame(self, p: Params) -> Dict[str, Any]:
        return {"game": {"title": p["game_short_name"], "description": "", "photo": []}}

    def _content_sendPaidMedia(self, p: Params) -> Dict[str, Any]:
        media = p.get("media") or []
        return {"paid_media": {"star_count": p["star_count"],
                               "paid_media": [{"type": "preview"} for _ in media]}}

    def _api_sendMediaGroup(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        media = p.get("media")
        if not isinstance(media, list):
            raise bad("can't parse media JSON object")
        if self.rules.media_group and not media:
            raise bad("there are no messages to send")
        if self.rules.media_group and len(media) > MAX_MEDIA_GROUP:
            raise bad("too many messages to send as an album")
        # one item is sent as a message of its own, outside any album (as Telegram does)
        group_id = self.new_id("") if len(media) > 1 else None
        sent: List[Dict[str, Any]] = []
        for item in media:
            fields = self._input_media(item, files)
            if group_id is not None:
                fields["media_group_id"] = group_id
            sent.append(self._bot_message(chat, fields, p if not sent else {}))
        return sent

    def _input_media(self, item: Any, files: Files) -> Dict[str, Any]:
        """Message fields for one InputMedia object."""
        if not isinstance(item, dict) or item.get("type") not in MEDIA_KINDS:
            raise bad("can't parse InputMedia: unknown type")
        kind = item["type"]
        fields = self._echo(item)
        fields[kind] = self._media(kind, item, files, ["media", "thumbnail", "cover"],
                                   item.get("media"))
        return fields

    # -- forwards, copies, edits, deletions --------------------------------------------------

    def _find(self, chat: "SimChat", message_id: Any, error: str) -> Dict[str, Any]:
        message = chat.messages.get(message_id) if isinstance(message_id, int) else None
        if message is None:
            raise bad(error)
        return message

    def _copies(self, p: Params, ids: List[Any], forward: bool) -> List[Dict[str, Any]]:
        source = self._target(p, "from_chat_id")
        target = self._target(p)
        sent = []
        for message_id in ids:
            original = self._find(source, message_id, "message to %s not found" % (
                "forward" if forward else "copy"))
            fields = {k: v for k, v in original.items() if k not in _ENVELOPE}
            if forward:
                fields["forward_origin"] = self._origin(source, original)
                if inline_keyboard(original.get("reply_markup")):
                    fields["reply_markup"] = original["reply_markup"]
            else:
                for key in ("caption", "caption_entities"):
                    if key in p:
                        fields[key] = p[key]
                if inline_keyboard(p.get("reply_markup")):
                    fields["reply_markup"] = p["reply_markup"]
            if p.get("message_thread_id"):
                fields["message_thread_id"] = p["message_thread_id"]
            sent.append(self._bot_message(target, fields, p))
        return sent

    def _origin(self, chat: "SimChat", original: Dict[str, Any]) -> Dict[str, Any]:
        if chat.type == "channel":
            return {"type": "channel", "chat": chat.chat, "message_id": original["message_id"],
                    "date": original["date"]}
        return {"type": "user", "sender_user": original.get("from", self.bot_from),
                "date": original["date"]}

    def _api_forwardMessage(self, p: Params, files: Files) -> Any:
        return self._copies(p, [p["message_id"]], True)[0]

    def _api_forwardMessages(self, p: Params, files: Files) -> Any:
        return [{"message_id": m["message_id"]} for m in self._copies(p, p["message_ids"], True)]

    def _api_copyMessage(self, p: Params, files: Files) -> Any:
        return {"message_id": self._copies(p, [p["message_id"]], False)[0]["message_id"]}

    def _api_copyMessages(self, p: Params, files: Files) -> Any:
        return [{"message_id": m["message_id"]} for m in self._copies(p, p["message_ids"], False)]

    def _edit(self, method: str, p: Params, files: Files) -> Any:
        """editMessage*, stopMessageLiveLocation, setGameScore: edit a stored message."""
        if p.get("inline_message_id"):
            return True
        if p.get("chat_id") in (None, "") or not p.get("message_id"):
            raise bad("message identifier is not specified")
        chat = self._target(p)
        old = self._find(chat, p["message_id"], "message to edit not found")
        if not chat.is_from_bot(old):
            raise bad("message can't be edited")
        if method == "setGameScore":
            return old
        new = dict(old)
        if method == "editMessageText":
            if "text" not in old:
                raise bad("there is no text in the message to edit")
            if not p.get("text") and not p.get("rich_message"):
                raise bad("message text is empty")
            new.pop("entities", None)
            new.update((_ECHO[k], p[k]) for k in ("text", "entities", "link_preview_options",
                                                  "rich_message") if p.get(k))
        elif method == "editMessageCaption":
            if not any(kind in old for kind in MEDIA_KINDS):
                raise bad("there is no caption in the message to edit")
            for key in ("caption", "caption_entities", "show_caption_above_media"):
                new.pop(key, None)
                if p.get(key):
                    new[key] = p[key]
        elif method == "editMessageMedia":
            for kind in MEDIA_KINDS:
                new.pop(kind, None)
            new.update(self._input_media(p["media"], files))
        elif method == "editMessageLiveLocation":
            new["location"] = self.facts.build("Location", p)
        elif method == "editMessageChecklist":
            new["checklist"] = p["checklist"]
        new.pop("reply_markup", None)
        markup = inline_keyboard(p.get("reply_markup"))
        if markup:
            new["reply_markup"] = markup
        if new == old and method != "stopMessageLiveLocation":
            raise bad(NOT_MODIFIED)
        new["edit_date"] = now()
        chat.messages[old["message_id"]] = new
        self._notify()
        return new

    def _api_deleteMessage(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        self._find(chat, p["message_id"], "message to delete not found")
        del chat.messages[p["message_id"]]
        self._notify()
        return True

    def _api_deleteMessages(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        for message_id in p["message_ids"]:
            chat.messages.pop(message_id, None)
        self._notify()
        return True

    def _api_stopPoll(self, p: Params, files: Files) -> Any:
        chat = self._target(p)
        message = self._find(chat, p["message_id"], "message with poll to stop not found")
        if "poll" not in message:
            raise bad("message with poll to stop not found")
        if message["poll"]["is_closed"]:
            raise bad("poll has already been closed")
        poll = dict(message["poll"], is_closed=True)
        chat.messages[message["message_id"]] = dict(message, poll=poll)
        self._notify()
        return poll

    # -- queries ----------------------------------------------------------------------------------

    def _answer_query(self, p: Params) -> None:
        """Accept the answer to a pending query once; a second answer fails as on Telegram."""
        name = next((k for k in p if k.endswith("query_id")), None)
        if name is None:
            return
        query_id = str(p[name])
        kind = self._queries.pop(query_id, None)
        if kind is None and name != "web_app_query_id":
            raise bad(QUERY_TOO_OLD)
        self.answers[query_id] = dict(p)
        self._notify()

    def _api_answerInlineQuery(self, p: Params, files: Files) -> Any:
        if not isinstance(p["results"], list):
            raise bad("can't parse inline query results JSON object")
        self._answer_query(p)
        return True
