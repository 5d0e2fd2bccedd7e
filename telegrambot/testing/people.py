"""Simulated people and chats of the emulator.

A :class:`SimUser` acts: each action pushes the update Telegram would send the bot and
returns the object inside it (the Message, CallbackQuery, ...). A :class:`SimChat` is a
private chat, group, supergroup or channel with its messages and members. Between them,
every one of the Bot API's update types can be produced:

====================================  =====================================================
update type                           produced by
====================================  =====================================================
message                               ``user.send()``, ``send_photo()``, ``send_file()``,
                                      ``reply()``, ``join()``/``leave()`` in groups,
                                      ``share_passport()``, ``send_web_app_data()``,
                                      ``create_poll()`` (a keyboard's request_poll button)
edited_message                        ``user.edit(message, text)``
channel_post / edited_channel_post    ``channel.post(text)`` / ``channel.edit(message, text)``
business_connection                   ``user.connect_business()``
business_message (and its edit)       ``user.send_business(text)`` / ``user.edit(it, text)``
deleted_business_messages             ``user.delete_business(messages)``
guest_message                         ``user.send_guest(text)``
message_reaction                      ``user.react(message, emoji)``
message_reaction_count                ``chat.reaction_count(message, {emoji: n})``
inline_query / chosen_inline_result   ``user.inline_query(q)`` / ``user.choose_inline_result()``,
                                      ``user.pick_inline_result(query, title)`` (with the
                                      message it sends)
callback_query                        ``user.press(message, data_or_button_text)``
shipping_query / pre_checkout_query   ``user.shipping_query()`` / ``user.pre_checkout_query()``;
                                      ``user.pay(query)`` then posts the successful payment
purchased_paid_media                  ``user.purchase_paid_media(payload)``
poll / poll_answer                    ``user.answer_poll(poll, [0])`` (anonymous polls give
                                      ``poll``, others ``poll_answer``)
my_chat_member                        ``user.add_bot(group)``, ``remove_bot()``,
                                      ``block_bot()``, ``unblock_bot()``
chat_member                           ``user.join(group)``, ``user.leave(group)``,
                                      ``admin.change_member(group, user, status)``
chat_join_request                     ``user.request_join(chat)``
chat_boost / removed_chat_boost       ``user.boost(chat)`` / ``user.remove_boost(chat)``
managed_bot                           ``user.create_managed_bot(name)``
subscription                          ``user.update_subscription(payload, state)``
stopped_message_generation            ``user.stop_generation(draft_id)``
====================================  =====================================================

Anything else: ``emu.push_update(update_type, obj)``.
"""

import itertools
import re
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Union

from ..text import EntityParseError, parse
from ._api import _MEMBER_TYPES, MEDIA_KINDS

if TYPE_CHECKING:  # pragma: no cover
    from .emulator import Emulator

__all__ = ["SimUser", "SimChat", "utf16_len", "command_entities"]

Message = Dict[str, Any]
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?")
_MIME = {"photo": "image/jpeg", "audio": "audio/mpeg", "voice": "audio/ogg",
         "video": "video/mp4", "animation": "video/mp4", "video_note": "video/mp4",
         "sticker": "image/webp", "document": None}


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of MessageEntity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> List[Dict[str, Any]]:
    """``bot_command`` entities for every /command in ``text``, as Telegram marks them."""
    return [{"type": "bot_command", "offset": utf16_len(text[:m.start()]),
             "length": utf16_len(m.group())} for m in _COMMAND.finditer(text)]


class SimChat:
    """A chat in the emulator: ``.id``, ``.chat`` (the Chat dict), ``.messages``, ``.members``.

    ``members`` maps user id -> status ('creator', 'administrator', 'member', 'restricted',
    'left', 'kicked'); ``bot_status`` is the bot's own status.
    """

    def __init__(self, emulator: "Emulator", chat: Dict[str, Any]) -> None:
        self.emulator = emulator
        self.chat = chat
        self.id: int = chat["id"]
        self.type: str = chat["type"]
        self.members: Dict[int, str] = {}
        self.bot_status = "member"
        self.messages: OrderedDict[int, Message] = OrderedDict()
        self.bot_message_ids: set = set()
        self.migrated_to: Optional[int] = None
        self.blocked = False
        self.pinned: Optional[Message] = None
        self.join_requests: set = set()
        self.member_fields: Dict[int, Dict[str, Any]] = {}  # user id -> extra ChatMember fields
        self._message_ids = itertools.count(1)

    def __repr__(self) -> str:
        return "<SimChat %s>" % self.describe()

    def describe(self) -> str:
        if self.type == "private":
            return "private chat with %s" % self.chat.get("first_name")
        return '%s "%s" (%d)' % (self.type, self.chat.get("title"), self.id)

    def next_message_id(self) -> int:
        return next(self._message_ids)

    def add(self, message: Message, from_bot: bool) -> None:
        self.messages[message["message_id"]] = message
        if from_bot:
            self.bot_message_ids.add(message["message_id"])

    def is_from_bot(self, message: Message) -> bool:
        return message.get("message_id") in self.bot_message_ids

    def status_of(self, user_id: int) -> str:
        if user_id == self.emulator.bot_user["id"]:
            return self.bot_status
        return self.members.get(user_id, "left")

    # -- reading -----------------------------------------------------------------------------

    def received(self) -> List[Message]:
        """The messages the bot sent into this chat, as they are now."""
        with self.emulator._lock:
            return [m for m in self.messages.values() if self.is_from_bot(m)]

    def transcript(self) -> List[Message]:
        return self.emulator.transcript(self)

    def wait_for_message(self, timeout: float = 5.0,
                         predicate: Optional[Callable[[Message], bool]] = None) -> Message:
        """The next message the bot sends here (see :meth:`Emulator.wait_for_message`)."""
        return self.emulator.wait_for_message(self, timeout, predicate)

    # -- things happening in the chat ------------------------------------------------------

    def message(self, sender: Optional["SimUser"], fields: Dict[str, Any],
                update_type: Optional[str] = None) -> Message:
        """Store a message from ``sender`` (None: the chat itself) and push its update."""
        emu = self.emulator
        with emu._lock:
            message: Message = {"message_id": self.next_message_id()}
            if sender is not None and self.type != "channel":
                message["from"] = sender.user
            else:
                message["sender_chat"] = self.chat
            message.update(date=int(time.time()), chat=self.chat)
            message.update(fields)
            self.add(message, from_bot=False)
            kind = update_type or ("channel_post" if self.type == "channel" else "message")
            emu.push_update(kind, message)
            return message

    def post(self, text: str, **fields: Any) -> Message:
        """A channel post (``channel_post`` update)."""
        return self.message(None, dict(_text(text), **fields))

    def edit(self, message: Message, text: Optional[str] = None, **fields: Any) -> Message:
        """Edit a message of this chat; pushes the matching ``edited_*`` update."""
        emu = self.emulator
        with emu._lock:
            current = self.messages.get(message["message_id"], message)
            edited = dict(current, edit_date=int(time.time()), **fields)
            if text is not None:
                edited.pop("entities", None)
                edited.update(_text(text) if "caption" not in current else {"caption": text})
            self.messages[edited["message_id"]] = edited
            if edited.get("business_connection_id"):
                kind = "edited_business_message"
            else:
                kind = "edited_channel_post" if self.type == "channel" else "edited_message"
            emu.push_update(kind, edited)
            return edited

    def reaction_count(self, message: Message, counts: Dict[str, int]) -> Dict[str, Any]:
        """Anonymous reaction totals of a message (``message_reaction_count`` update)."""
        update = {"chat": self.chat, "message_id": message["message_id"],
                  "date": int(time.time()),
                  "reactions": [{"type": _reaction(emoji), "total_count": n}
                                for emoji, n in counts.items()]}
        self.emulator.push_update("message_reaction_count", update)
        return update

    def create_topic(self, name: str, creator: Optional["SimUser"] = None) -> int:
        """A forum topic created by ``creator`` (a service message); returns its thread id."""
        if not self.chat.get("is_forum"):
            raise ValueError("%s is not a forum" % self.describe())
        service = self.message(creator, {"forum_topic_created": {"name": name,
                                                                 "icon_color": 7322096}})
        return service["message_id"]

    def migrate(self) -> "SimChat":
        """Upgrade a group to a supergroup; the old id then answers 'migrated'."""
        emu = self.emulator
        with emu._lock:
            new = emu.supergroup(self.chat["title"])
            new.members.update(self.members)
            self.message(None, {"migrate_to_chat_id": new.id})
            new.message(None, {"migrate_from_chat_id": self.id})
            self.migrated_to = new.id
            return new


def _text(text: str) -> Dict[str, Any]:
    fields: Dict[str, Any] = {"text": text}
    entities = command_entities(text)
    if entities:
        fields["entities"] = entities
    return fields


def _reaction(emoji: Union[str, Dict[str, Any]]) -> Dict[str, Any]:
    return emoji if isinstance(emoji, dict) else {"type": "emoji", "emoji": emoji}


ChatLike = Union[SimChat, "SimUser", int, str, Dict[str, Any], None]


class SimUser:
    """A simulated Telegram user: ``.id``, ``.user`` (User dict), ``.chat`` (private Chat dict)."""

    def __init__(self, emulator: "Emulator", user: Dict[str, Any], private: SimChat) -> None:
        self.emulator = emulator
        self.user = user
        self.id: int = user["id"]
        self.private = private
        self.chat = private.chat
        self._business: Optional[Dict[str, Any]] = None
        self._reactions: Dict[Any, List[Dict[str, Any]]] = {}

    def __repr__(self) -> str:
        return "<SimUser %s (%d)>" % (self.user["first_name"], self.id)

    def _chat(self, chat: ChatLike) -> SimChat:
        return self.private if chat is None else self.emulator.chat(chat)

    def _query_id(self, kind: str) -> str:
        query_id = self.emulator.new_id(str(self.id) + "-")
        self.emulator._queries[query_id] = kind
        return query_id

    # -- reading ---------------------------------------------------------------------------

    def received(self) -> List[Message]:
        """The messages the bot sent into her private chat."""
        return self.private.received()

    def transcript(self) -> List[Message]:
        return self.emulator.transcript(self.private)

    def wait_for_message(self, timeout: float = 5.0,
                         predicate: Optional[Callable[[Message], bool]] = None) -> Message:
        """The next message the bot sends her privately; EmulatorTimeout if none comes."""
        return self.emulator.wait_for_message(self.private, timeout, predicate)

    # -- messages ----------------------------------------------------------------------------

    def send(self, text: Optional[str] = None, chat: ChatLike = None, **fields: Any) -> Message:
        """A message from her (``message`` update; ``channel_post`` in a channel).

        ``fields`` are extra Message fields (``location=...``, ``message_thread_id=...``).
        """
        content = _text(text) if text is not None else {}
        content.update(fields)
        return self._chat(chat).message(self, content)

    def reply(self, message: Message, text: str, **fields: Any) -> Message:
        """A reply to ``message`` in its chat."""
        reply = {k: v for k, v in message.items() if k != "reply_to_message"}
        return self.send(text, chat=message["chat"]["id"], reply_to_message=reply, **fields)

    def send_file(self, kind: str, data: bytes, filename: Optional[str] = None,
                  caption: Optional[str] = None, chat: ChatLike = None, **fields: Any) -> Message:
        """A media message: ``kind`` is 'photo', 'document', 'audio', 'video', 'voice',
        'animation', 'video_note' or 'sticker'. The bytes can be fetched with getFile."""
        emu = self.emulator
        stored = emu.store_file(data, MEDIA_KINDS.get(kind, "documents"), filename, _MIME.get(kind))
        facts = emu.facts
        media_type = facts.field_types["Message"][kind][0].replace("Array of ", "")
        own = [k for k in fields if k in facts.field_types[media_type]
               and k not in facts.field_types["Message"]]
        media = emu.media_object(kind, stored, {k: fields.pop(k) for k in own})
        content: Dict[str, Any] = {kind: media}
        if kind == "animation":
            content["document"] = emu.facts.build("Document", media)
        if caption is not None:
            content["caption"] = caption
        content.update(fields)
        return self._chat(chat).message(self, content)

    def send_photo(self, data: bytes = b"\xff\xd8\xff\xe0 emulated jpeg",
                   caption: Optional[str] = None, chat: ChatLike = None, **fields: Any) -> Message:
        return self.send_file("photo", data, "photo.jpg", caption, chat, **fields)

    def send_document(self, data: bytes, filename: str = "file.txt",
                      caption: Optional[str] = None, chat: ChatLike = None,
                      **fields: Any) -> Message:
        return self.send_file("document", data, filename, caption, chat, **fields)

    def edit(self, message: Message, text: Optional[str] = None, **fields: Any) -> Message:
        """Edit one of her messages (``edited_message`` or ``edited_business_message``)."""
        return self.emulator.chat(message["chat"]["id"]).edit(message, text, **fields)

    # -- Telegram Passport and Web Apps ------------------------------------------------------

    def share_passport(self, public_key: Any, nonce: str, elements: Dict[str, Any],
                       tamper: Iterable[str] = ()) -> Message:
        """She shares Telegram Passport data, encrypted for the bot's ``public_key`` (PEM
        or a cryptography key): a message with ``passport_data``.

        ``elements`` maps element types to what she shares: ``{"phone_number": "+44..."}``,
        ``{"personal_details": {"data": {...}}}``, ``{"passport": {"data": {...},
        "front_side": b"...", "selfie": b"...", "translation": [b"..."]}}``,
        ``{"utility_bill": {"files": [b"...", b"..."]}}``. Files are stored encrypted,
        for getFile and download. ``tamper`` names element types (or ``"credentials"``)
        to alter after encryption. Needs the ``cryptography`` package.
        """
        from ._clientside import encrypt_passport

        data = encrypt_passport(public_key, nonce, elements,
                                lambda sealed: self.emulator.store_file(sealed, "passport"),
                                tuple(tamper))
        return self.private.message(self, {"passport_data": data})

    def web_app_init_data(self, *, chat: Optional[SimChat] = None, start_param: Optional[str] = None,
                          query_id: Optional[str] = None, auth_date: Optional[int] = None,
                          signing_key: Any = None, **fields: Any) -> str:
        """The init data a Web App opened by her gets (``Telegram.WebApp.initData``):
        ``user``, ``auth_date`` (now unless given), a fresh ``query_id`` unless given, the
        ``chat`` it was opened from, ``start_param``, other ``fields``; with the ``hash``
        made from the bot's token and, given an Ed25519 ``signing_key``, a ``signature``
        (tests stand in for Telegram's key with their own)."""
        from ._clientside import web_app_init_data

        values: Dict[str, Any] = {"query_id": query_id or self.emulator.new_id("AAQ")}
        if chat is not None:
            values.update(chat={k: chat.chat[k] for k in ("id", "type", "title") if k in chat.chat},
                          chat_type=chat.type, chat_instance=str(abs(chat.id) * 7 + 1))
        if start_param is not None:
            values["start_param"] = start_param
        values.update(fields)
        return web_app_init_data(self.emulator.token, self.emulator.bot_user["id"], self.user,
                                 fields=values, auth_date=auth_date, signing_key=signing_key)

    def keyboard(self) -> Optional[List[List[Any]]]:
        """The rows of the reply keyboard (ReplyKeyboardMarkup) the bot last sent her, or
        None if it sent none or removed it since. (Messages keep only inline keyboards, so
        this is read from the bot's requests.)"""
        with self.emulator._lock:
            requests = [r for r in self.emulator.requests
                        if isinstance(r.params.get("reply_markup"), dict)
                        and r.params.get("chat_id") in (self.id, str(self.id))]
        # a message can be seen before its request has its status: wait for those answers
        self.emulator.wait_until(lambda: all(r.ready for r in requests))
        for request in reversed(requests):
            markup = request.params["reply_markup"]
            if request.status != 200:
                continue
            if "keyboard" in markup:
                return markup["keyboard"]
            if markup.get("remove_keyboard"):
                return None
        return None

    def send_web_app_data(self, data: str, button_text: Optional[str] = None) -> Message:
        """She opens the Web App of a ``web_app`` button on the bot's reply keyboard and it
        sends ``data`` back (``Telegram.WebApp.sendData``): a message with ``web_app_data``.

        The keyboard is the one the bot last sent her (not removed since); ``button_text``
        picks the button when it has several Web App buttons.
        """
        with self.emulator._lock:
            button = self._keyboard_button("web_app", button_text)
            content = {"web_app_data": {"data": data, "button_text": button["text"]}}
            return self.private.message(self, content)

    def _keyboard_button(self, kind: str, button_text: Optional[str]) -> Dict[str, Any]:
        """The one button of her reply keyboard that has the field ``kind`` (``web_app``,
        ``request_poll``, ...), named ``button_text`` if given; AssertionError otherwise."""
        keyboard = [b for row in self.keyboard() or () for b in row]
        found = [b for b in keyboard if isinstance(b, dict) and b.get(kind) is not None]
        if button_text is not None:
            found = [b for b in found if b.get("text") == button_text]
        if len(found) != 1:
            raise AssertionError("no single %s button%s on her keyboard; buttons: %s" % (
                kind, "" if button_text is None else " %r" % button_text,
                [b.get("text") if isinstance(b, dict) else b for b in keyboard]))
        return found[0]

    def create_poll(self, question: str, options: Iterable[str], *, type: Optional[str] = None,
                    correct_option_ids: Optional[Iterable[int]] = None,
                    button_text: Optional[str] = None, **fields: Any) -> Message:
        """She presses the ``request_poll`` button of the bot's reply keyboard, creates a
        poll and sends it to the bot: a message with ``poll`` in her private chat.

        ``type`` ('regular' or 'quiz') defaults to the one the button asks for ('regular'
        if it leaves the choice to her); a type the button does not allow, a quiz without
        ``correct_option_ids`` or no such button raise AssertionError, as her app would
        not let her send it. ``fields`` are other Poll fields (``is_anonymous``, ...).
        """
        with self.emulator._lock:
            button = self._keyboard_button("request_poll", button_text)
            asked = (button["request_poll"] or {}).get("type")
            kind = type or asked or "regular"
            if asked and kind != asked:
                raise AssertionError("the button %r asks for a %s, not a %s" % (
                    button.get("text"), asked, kind))
            if (kind == "quiz") != (correct_option_ids is not None):
                raise AssertionError("a quiz, and only a quiz, has correct_option_ids")
            values: Dict[str, Any] = {
                "is_anonymous": True, "allows_multiple_answers": False, "is_closed": False,
                "allows_revoting": False, "members_only": False}
            values.update(fields)
            values.update(
                id=self.emulator.new_id("poll"), question=question, type=kind,
                total_voter_count=0,
                options=[{"text": text, "voter_count": 0, "persistent_id": str(index)}
                         for index, text in enumerate(options)])
            if correct_option_ids is not None:
                values["correct_option_ids"] = list(correct_option_ids)
            poll = self.emulator.facts.build("Poll", values)
            return self.private.message(self, {"poll": poll})

    # -- buttons, inline mode, polls, reactions -------------------------------------------

    def press(self, message: Union[Message, str], data: str) -> Dict[str, Any]:
        """Press an inline button (``callback_query`` update).

        ``message`` is a message of the bot (or an inline_message_id); ``data`` is the
        button's callback_data or its text. The message must have such a button (with the
        ``buttons`` rule off, any data goes on a message without a keyboard).
        """
        emu = self.emulator
        with emu._lock:
            query: Dict[str, Any] = {"id": self._query_id("callback_query"), "from": self.user}
            if isinstance(message, str):
                query.update(inline_message_id=message, chat_instance="inline")
            else:
                chat = emu.chat(message["chat"]["id"])
                current = chat.messages.get(message["message_id"], message)
                rows = (current.get("reply_markup") or {}).get("inline_keyboard") or []
                buttons = [b for row in rows if isinstance(row, list) for b in row
                           if isinstance(b, dict)]
                if buttons or emu.rules.buttons:
                    found = [b for b in buttons if data in (b.get("callback_data"), b.get("text"))]
                    if not found or "callback_data" not in found[0]:
                        raise AssertionError(
                            "no callback button %r on the message; buttons: %s"
                            % (data, [b.get("text") for b in buttons] or "none"))
                    data = found[0]["callback_data"]
                query.update(message=current, chat_instance=str(abs(chat.id) * 7 + 1))
            query["data"] = data
            emu.push_update("callback_query", query)
            return query

    def inline_query(self, query: str, offset: str = "", **fields: Any) -> Dict[str, Any]:
        """She types ``@bot query`` (``inline_query`` update)."""
        with self.emulator._lock:
            obj = {"id": self._query_id("inline_query"), "from": self.user, "query": query,
                   "offset": offset, "chat_type": "sender"}
            obj.update(fields)
            self.emulator.push_update("inline_query", obj)
            return obj

    def choose_inline_result(self, result_id: str, query: str = "",
                             inline_message_id: Optional[str] = None) -> Dict[str, Any]:
        """She picks an inline result (``chosen_inline_result`` update)."""
        obj = {"result_id": result_id, "from": self.user, "query": query}
        if inline_message_id:
            obj["inline_message_id"] = inline_message_id
        self.emulator.push_update("chosen_inline_result", obj)
        return obj

    def pick_inline_result(self, query: Dict[str, Any], result: str,
                           chat: ChatLike = None) -> Message:
        """She picks a result of the bot's answer to her inline ``query`` (the InlineQuery
        that :meth:`inline_query` returned), which her app sends into ``chat`` (default:
        her private chat with the bot) as a message from her ``via_bot``: the text of the
        result's ``input_message_content``, its parse mode applied as Telegram does. A
        ``chosen_inline_result`` update follows (bots get it with inline feedback on).
        Returns the message.

        ``result`` is the result's id or title. AssertionError if the bot has not answered
        the query, has no such result, or its text is one Telegram refuses. Only results
        with text content are sent (InputTextMessageContent); a keyboard is left out.
        """
        emu = self.emulator
        with emu._lock:
            answer = emu.answers.get(query["id"])
            if answer is None:
                raise AssertionError("the bot has not answered the inline query %r"
                                     % query.get("query"))
            results = [r for r in answer.get("results") or () if isinstance(r, dict)]
            found = [r for r in results if result in (r.get("id"), r.get("title"))]
            if not found:
                raise AssertionError("no result %r in the bot's answer; results: %s" % (
                    result, [r.get("title") or r.get("id") for r in results]))
            content = found[0].get("input_message_content") or {}
            if not isinstance(content.get("message_text"), str):
                raise AssertionError("the emulator sends only results with text content "
                                     "(input_message_content with message_text)")
            try:
                text, entities = parse(content["message_text"], content.get("parse_mode"))
            except (EntityParseError, ValueError) as exc:
                raise AssertionError("Telegram would refuse the result %r: %s" % (result, exc))
            if not content.get("parse_mode"):
                entities = content.get("entities") or []
            fields: Dict[str, Any] = {"text": text, "via_bot": emu.bot_from}
            if entities:
                fields["entities"] = [emu._mentioned(e) for e in entities]
            message = self._chat(chat).message(self, fields)
            emu.push_update("chosen_inline_result", {
                "result_id": found[0]["id"], "from": self.user, "query": query.get("query", "")})
            return message

    def answer_poll(self, poll: Dict[str, Any], option_ids: Iterable[int]) -> Dict[str, Any]:
        """She votes in a poll (a Poll or the Message carrying it).

        Non-anonymous polls push ``poll_answer``; anonymous ones push ``poll`` with the new
        counts. The stored message is updated either way. A closed poll (stopped, or sent
        closed) raises AssertionError: her app offers no way to vote in it.
        """
        emu = self.emulator
        option_ids = list(option_ids)
        with emu._lock:
            message = poll if "poll" in poll else self._poll_message(poll["id"])
            if message is not None:  # as it is now, not as the caller last saw it
                message = emu.chat(message["chat"]["id"]).messages.get(
                    message["message_id"], message)
            current = dict(message["poll"]) if message else dict(poll)
            if current.get("is_closed"):
                raise AssertionError("the poll %r is closed: nobody can vote any more"
                                     % current.get("question"))
            options = [dict(o) for o in current["options"]]
            for index in option_ids:
                options[index]["voter_count"] += 1
            current.update(options=options, total_voter_count=current["total_voter_count"] + 1)
            if message:
                emu.chat(message["chat"]["id"]).messages[message["message_id"]] = dict(
                    message, poll=current)
            if current.get("is_anonymous", True):
                emu.push_update("poll", current)
                return current
            answer = {"poll_id": current["id"], "user": self.user, "option_ids": option_ids,
                      "option_persistent_ids": [options[i]["persistent_id"] for i in option_ids]}
            emu.push_update("poll_answer", answer)
            return answer

    def _poll_message(self, poll_id: str) -> Optional[Message]:
        for chat in self.emulator._chats.values():
            for message in chat.messages.values():
                if message.get("poll", {}).get("id") == poll_id:
                    return message
        return None

    def react(self, message: Message, *emoji: str) -> Dict[str, Any]:
        """She sets her reactions on a message (``message_reaction`` update).

        No emoji removes her reaction. Telegram delivers this update only when
        ``allowed_updates`` names it.
        """
        key = (message["chat"]["id"], message["message_id"])
        new = [_reaction(e) for e in emoji]
        obj = {"chat": message["chat"], "message_id": message["message_id"], "user": self.user,
               "date": int(time.time()), "old_reaction": self._reactions.get(key, []),
               "new_reaction": new}
        self._reactions[key] = new
        self.emulator.push_update("message_reaction", obj)
        return obj

    # -- membership ----------------------------------------------------------------------------

    def _member_update(self, chat: SimChat, user: Dict[str, Any], old: str, new: str,
                       update_type: str, old_fields: Optional[Dict[str, Any]] = None,
                       new_fields: Optional[Dict[str, Any]] = None, **extra: Any
                       ) -> Dict[str, Any]:
        facts = self.emulator.facts
        obj = {"chat": chat.chat, "from": self.user, "date": int(time.time()),
               "old_chat_member": facts.build(_MEMBER_TYPES[old],
                                              dict(old_fields or {}, user=user)),
               "new_chat_member": facts.build(_MEMBER_TYPES[new],
                                              dict(new_fields or {}, user=user))}
        obj.update(extra)
        self.emulator.push_update(update_type, obj)
        return obj

    def change_member(self, chat: SimChat, member: "SimUser", status: str,
                      **fields: Any) -> Dict[str, Any]:
        """She, an administrator, changes ``member``'s status in ``chat`` ('member',
        'administrator', 'restricted', 'left', 'kicked'): a ``chat_member`` update from her.

        ``fields`` are ChatMember fields of the new status, such as ``is_member`` of a
        restricted member (kept, so the next change shows it as the old state).
        """
        with self.emulator._lock:
            old = chat.status_of(member.id)
            old_fields = chat.member_fields.get(member.id, {})
            chat.members[member.id] = status
            chat.member_fields[member.id] = dict(fields)
            return self._member_update(chat, member.user, old, status, "chat_member",
                                       old_fields, fields)

    def join(self, group: SimChat) -> Dict[str, Any]:
        """She joins a group: a ``chat_member`` update, and in groups the service message
        with ``new_chat_members`` (a ``message`` update). Returns the ChatMemberUpdated."""
        with self.emulator._lock:
            old = group.status_of(self.id)
            group.members[self.id] = "member"
            old_fields = group.member_fields.pop(self.id, None)
            obj = self._member_update(group, self.user, old, "member", "chat_member", old_fields)
            if group.type != "channel":
                group.message(self, {"new_chat_members": [self.user]})
            return obj

    def leave(self, group: SimChat) -> Dict[str, Any]:
        """She leaves a group (``chat_member`` update, plus ``left_chat_member`` message)."""
        with self.emulator._lock:
            old = group.status_of(self.id)
            group.members[self.id] = "left"
            old_fields = group.member_fields.pop(self.id, None)
            obj = self._member_update(group, self.user, old, "left", "chat_member", old_fields)
            if group.type != "channel":
                group.message(self, {"left_chat_member": self.user})
            return obj

    def _bot_membership(self, chat: SimChat, status: str) -> Dict[str, Any]:
        with self.emulator._lock:
            old, chat.bot_status = chat.bot_status, status
            return self._member_update(chat, self.emulator.bot_from, old, status,
                                       "my_chat_member")

    def add_bot(self, group: SimChat, as_admin: bool = False) -> Dict[str, Any]:
        """She adds the bot to a group (``my_chat_member`` update)."""
        return self._bot_membership(group, "administrator" if as_admin else "member")

    def remove_bot(self, group: SimChat) -> Dict[str, Any]:
        """She removes the bot from a group (``my_chat_member``, status 'kicked')."""
        return self._bot_membership(group, "kicked")

    def block_bot(self) -> Dict[str, Any]:
        """She blocks the bot: ``my_chat_member`` with status 'kicked'; sends then get 403."""
        self.private.blocked = True
        return self._bot_membership(self.private, "kicked")

    def unblock_bot(self) -> Dict[str, Any]:
        self.private.blocked = False
        return self._bot_membership(self.private, "member")

    def request_join(self, chat: SimChat, bio: Optional[str] = None,
                     query: bool = False) -> Dict[str, Any]:
        """She asks to join (``chat_join_request``); approve/decline with the API.

        ``query=True`` adds a ``query_id`` for answerChatJoinRequestQuery (answered once).
        """
        with self.emulator._lock:
            chat.join_requests.add(self.id)
            obj = {"chat": chat.chat, "from": self.user, "user_chat_id": self.id,
                   "date": int(time.time())}
            if bio is not None:
                obj["bio"] = bio
            if query:
                obj["query_id"] = self._query_id("chat_join_request_query")
            self.emulator.push_update("chat_join_request", obj)
            return obj

    def boost(self, chat: SimChat) -> Dict[str, Any]:
        """She boosts a chat (``chat_boost`` update); the ChatBoostUpdated is returned."""
        moment = int(time.time())
        obj = {"chat": chat.chat, "boost": {
            "boost_id": self.emulator.new_id("boost"), "add_date": moment,
            "expiration_date": moment + 30 * 86400,
            "source": {"source": "premium", "user": self.user}}}
        self.emulator.push_update("chat_boost", obj)
        return obj

    def remove_boost(self, chat: SimChat, boost_id: Optional[str] = None) -> Dict[str, Any]:
        """Her boost ends (``removed_chat_boost`` update)."""
        obj = {"chat": chat.chat, "boost_id": boost_id or self.emulator.new_id("boost"),
               "remove_date": int(time.time()),
               "source": {"source": "premium", "user": self.user}}
        self.emulator.push_update("removed_chat_boost", obj)
        return obj

    # -- payments ----------------------------------------------------------------------------

    def shipping_query(self, invoice_payload: str,
                       shipping_address: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
        """She enters a shipping address (``shipping_query``; answer it once)."""
        address = shipping_address or {"country_code": "GB", "state": "", "city": "London",
                                       "street_line1": "1 Test Street", "street_line2": "",
                                       "post_code": "N1 1AA"}
        with self.emulator._lock:
            obj = {"id": self._query_id("shipping_query"), "from": self.user,
                   "invoice_payload": invoice_payload, "shipping_address": address}
            self.emulator.push_update("shipping_query", obj)
            return obj

    def pre_checkout_query(self, invoice_payload: str, currency: str = "XTR",
                           total_amount: int = 1, **fields: Any) -> Dict[str, Any]:
        """She confirms a payment (``pre_checkout_query``; answer it once)."""
        with self.emulator._lock:
            obj = {"id": self._query_id("pre_checkout_query"), "from": self.user,
                   "currency": currency, "total_amount": total_amount,
                   "invoice_payload": invoice_payload}
            obj.update(fields)
            self.emulator.push_update("pre_checkout_query", obj)
            return obj

    def pay(self, pre_checkout_query: Dict[str, Any], chat: ChatLike = None,
            **fields: Any) -> Message:
        """Telegram charges her once the bot accepted her pre-checkout query: the
        ``successful_payment`` service message (a ``message`` update) in her private chat
        (or ``chat``), with the query's currency, amount, payload, shipping option and
        order info and made-up charge ids (``fields`` add to them or replace them). Raises
        AssertionError unless the bot answered the query with ok: Telegram charges nobody
        for a refused order."""
        emu = self.emulator
        query = pre_checkout_query
        with emu._lock:
            answer = emu.answers.get(query["id"])
            if not answer or answer.get("ok") not in (True, "true", "True"):
                raise AssertionError("pre-checkout query %s was not accepted by the bot: %s" % (
                    query["id"], "no answer" if not answer
                    else answer.get("error_message") or "refused"))
            payment: Dict[str, Any] = {k: query[k] for k in (
                "currency", "total_amount", "invoice_payload", "shipping_option_id",
                "order_info") if k in query}
            payment.update(telegram_payment_charge_id=emu.new_id("tg-charge-"),
                           provider_payment_charge_id=emu.new_id("provider-charge-"))
            payment.update(fields)
            paid = emu.facts.build("SuccessfulPayment", payment)
            return self._chat(chat).message(self, {"successful_payment": paid})

    def purchase_paid_media(self, payload: str) -> Dict[str, Any]:
        """She buys paid media (``purchased_paid_media`` update)."""
        obj = {"from": self.user, "paid_media_payload": payload}
        self.emulator.push_update("purchased_paid_media", obj)
        return obj

    def update_subscription(self, invoice_payload: str, state: str = "active") -> Dict[str, Any]:
        """Her subscription to the bot changes (``subscription`` update)."""
        obj = {"user": self.user, "invoice_payload": invoice_payload, "state": state}
        self.emulator.push_update("subscription", obj)
        return obj

    # -- business, guest, managed bots, drafts ---------------------------------------------

    def connect_business(self, is_enabled: bool = True, can_reply: bool = True
                         ) -> Dict[str, Any]:
        """She connects the bot to her business account (``business_connection`` update)."""
        obj = self._connection(is_enabled, can_reply)
        self.emulator.push_update("business_connection", obj)
        return obj

    def _connection(self, is_enabled: bool = True, can_reply: bool = True) -> Dict[str, Any]:
        if self._business is None or self._business["is_enabled"] != is_enabled:
            self._business = {"id": self.emulator.new_id("biz"), "user": self.user,
                              "user_chat_id": self.id, "date": int(time.time()),
                              "is_enabled": is_enabled, "can_reply": can_reply}
            self.emulator.business_connections[self._business["id"]] = self._business
        return self._business

    def send_business(self, text: str, chat: ChatLike = None, **fields: Any) -> Message:
        """A message in her business account (``business_message`` update); the connection
        is created on first use without an update of its own."""
        fields["business_connection_id"] = self._connection()["id"]
        return self._chat(chat).message(self, dict(_text(text), **fields), "business_message")

    def delete_business(self, messages: Iterable[Message]) -> Dict[str, Any]:
        """Messages deleted from her business account (``deleted_business_messages``)."""
        messages = list(messages)
        chat = self.emulator.chat(messages[0]["chat"]["id"]) if messages else self.private
        with self.emulator._lock:
            for message in messages:
                chat.messages.pop(message["message_id"], None)
            obj = {"business_connection_id": self._connection()["id"], "chat": chat.chat,
                   "message_ids": [m["message_id"] for m in messages]}
            self.emulator.push_update("deleted_business_messages", obj)
            return obj

    def send_guest(self, text: str, chat: ChatLike = None) -> Message:
        """She calls the bot as a guest in a chat (``guest_message``; answerGuestQuery once)."""
        with self.emulator._lock:
            fields = dict(_text(text), guest_query_id=self._query_id("guest_query"),
                          guest_bot_caller_user=self.user)
            return self._chat(chat).message(self, fields, "guest_message")

    def create_managed_bot(self, first_name: str, username: Optional[str] = None
                           ) -> Dict[str, Any]:
        """She creates a bot managed by this one (``managed_bot`` update)."""
        bot = {"id": next(self.emulator._user_ids), "is_bot": True, "first_name": first_name,
               "username": username or re.sub(r"\W", "", first_name.lower()) + "_bot"}
        obj = {"user": self.user, "bot": bot}
        self.emulator.push_update("managed_bot", obj)
        return obj

    def stop_generation(self, draft_id: int, chat: ChatLike = None,
                        message_thread_id: Optional[int] = None) -> Dict[str, Any]:
        """She stops a streamed draft (``stopped_message_generation`` update)."""
        obj: Dict[str, Any] = {"chat": self._chat(chat).chat, "draft_id": draft_id}
        if message_thread_id is not None:
            obj["message_thread_id"] = message_thread_id
        self.emulator.push_update("stopped_message_generation", obj)
        return obj
