"""Telling what an incoming object is: flavors, glances and identifiers.

A handler receives the inner object of an `Update <https://core.telegram.org/bots/api#update>`_
(the ``message``, ``callback_query``, ... dict) or an event from the scheduler (a dict with
one key starting with ``_``). :func:`flavor` names it:

=================================================================  ==========================
update key                                                         flavor
=================================================================  ==========================
message, channel_post, business_message, guest_message             ``'chat'``
edited_message, edited_channel_post, edited_business_message       ``'edited_chat'``
any other key (callback_query, poll, my_chat_member, ...)          the key itself
an event ``{'_alarm': {...}}``                                     ``'_alarm'``
=================================================================  ==========================

The flavor is read from the object's shape. Two update types carry objects of the same
shape: ``my_chat_member`` and ``chat_member`` (both a ChatMemberUpdated). For those, and for
update types newer than this library, the receiving loop records the update type in the
object under the key ``'_update_type'`` (:data:`UPDATE_TYPE_KEY`; Bot API field names never
start with ``_``), and :func:`flavor` returns it. A ChatMemberUpdated without that key (one
you built yourself) is taken as ``'chat_member'``.
"""

from typing import Any, Dict, Optional, Tuple

from ..exception import BadFlavor

__all__ = [
    "UPDATE_TYPE_KEY",
    "all_content_types",
    "content_type",
    "update_flavors",
    "flavor",
    "glance",
    "flance",
    "peel",
    "fleece",
    "is_event",
    "message_identifier",
    "origin_identifier",
    "handler_names",
    "chat_flavors",
    "inline_flavors",
    "SAME_SHAPE",
    "plain_flavors",
    "inner",
]

#: Key under which the loop records the update type in objects whose shape cannot tell it.
UPDATE_TYPE_KEY = "_update_type"

#: Every content field and service message of the Bot API 10.3
#: `Message <https://core.telegram.org/bots/api#message>`_. The content type of a message is
#: the first of these it carries, so a field that comes together with a more general one
#: is listed before it (``animation`` before ``document``, ``venue`` before ``location``).
all_content_types = [
    # content
    "rich_message", "text", "animation", "audio", "document", "live_photo", "paid_media",
    "photo", "sticker", "story", "video", "video_note", "voice", "checklist", "contact",
    "dice", "game", "poll", "venue", "location", "invoice", "giveaway", "passport_data",
    "web_app_data",
    # service messages
    "new_chat_members", "left_chat_member", "chat_owner_left", "chat_owner_changed",
    "new_chat_title", "new_chat_photo", "delete_chat_photo", "group_chat_created",
    "supergroup_chat_created", "channel_chat_created", "message_auto_delete_timer_changed",
    "migrate_to_chat_id", "migrate_from_chat_id", "pinned_message", "successful_payment",
    "refunded_payment", "users_shared", "user_shared", "chat_shared", "gift", "unique_gift",
    "gift_upgrade_sent", "connected_website", "write_access_allowed",
    "proximity_alert_triggered", "boost_added", "chat_background_set",
    "checklist_tasks_done", "checklist_tasks_added", "direct_message_price_changed",
    "forum_topic_created", "forum_topic_edited", "forum_topic_closed", "forum_topic_reopened",
    "general_forum_topic_hidden", "general_forum_topic_unhidden", "giveaway_created",
    "giveaway_winners", "giveaway_completed", "managed_bot_created",
    "paid_message_price_changed", "poll_option_added", "poll_option_deleted",
    "suggested_post_approved", "suggested_post_approval_failed", "suggested_post_declined",
    "suggested_post_paid", "suggested_post_refunded", "video_chat_scheduled",
    "video_chat_started", "video_chat_ended", "video_chat_participants_invited",
    "community_chat_added", "community_chat_removed", "community_chat_joined",
]

#: The flavor of each update type of Bot API 10.3 (update key -> flavor). A key missing
#: here (a newer update type) has itself as flavor.
update_flavors: Dict[str, str] = {
    "message": "chat",
    "channel_post": "chat",
    "business_message": "chat",
    "guest_message": "chat",
    "edited_message": "edited_chat",
    "edited_channel_post": "edited_chat",
    "edited_business_message": "edited_chat",
}
for _key in (
    "business_connection", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query",
    "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
    "my_chat_member", "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
    "managed_bot", "subscription", "stopped_message_generation",
):
    update_flavors[_key] = _key
del _key

#: Flavors of messages in a chat (new and edited), and of inline activity. The defaults of
#: :func:`telegrambot.delegate.per_from_id` and :class:`telegrambot.helper.UserHandler`
#: cover both.
chat_flavors = ["chat", "edited_chat"]
inline_flavors = ["inline_query", "chosen_inline_result"]

#: Update types whose objects have the same shape: :func:`inner` tags them.
SAME_SHAPE = frozenset({"my_chat_member", "chat_member"})
#: update key -> flavor, for the update types whose objects :func:`inner` leaves as they
#: are (a loop's fast path; what is missing here goes through :func:`inner`).
plain_flavors = {key: value for key, value in update_flavors.items() if key not in SAME_SHAPE}


def inner(update: Dict[str, Any]) -> Tuple[Optional[str], Any]:
    """``(flavor, object)`` of an `Update <https://core.telegram.org/bots/api#update>`_:
    its object (the ``message``, ``callback_query``, ... dict) and the flavor of that
    update type, which is what loops route by. An object whose shape does not tell its
    update type (``my_chat_member`` and ``chat_member``, and update types newer than this
    library) gets the type under :data:`UPDATE_TYPE_KEY`. ``(None, None)`` for an update
    that carries no object."""
    for key in update:
        if key != "update_id":
            break
    else:
        return None, None
    msg = update[key]
    flavor_ = plain_flavors.get(key)
    if flavor_ is None:
        flavor_ = key
        if type(msg) is dict:
            msg[UPDATE_TYPE_KEY] = key
    return flavor_, msg


# (flavor, fields that together identify it), tried in order: the first match wins.
# (objects with a message_id are told apart first, in flavor() itself)
_SHAPES: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("callback_query", ("chat_instance",)),
    ("chosen_inline_result", ("result_id",)),
    ("inline_query", ("query", "offset")),
    ("shipping_query", ("shipping_address",)),
    ("pre_checkout_query", ("total_amount", "invoice_payload")),
    ("purchased_paid_media", ("paid_media_payload",)),
    ("poll", ("question", "options")),
    ("poll_answer", ("poll_id", "option_ids")),
    ("chat_member", ("old_chat_member", "new_chat_member")),
    ("chat_join_request", ("user_chat_id", "chat")),
    ("business_connection", ("user_chat_id", "is_enabled")),
    ("deleted_business_messages", ("business_connection_id", "message_ids")),
    ("chat_boost", ("chat", "boost")),
    ("removed_chat_boost", ("boost_id", "remove_date")),
    ("subscription", ("invoice_payload", "state")),
    ("managed_bot", ("user", "bot")),
    ("stopped_message_generation", ("draft_id",)),
)


def flavor(msg: Dict[str, Any]) -> str:
    """The flavor of an incoming object or event (see the table at the top of this module).

    Raises :class:`~telegrambot.exception.BadFlavor` for an object of no known shape.
    """
    tagged = msg.get(UPDATE_TYPE_KEY)
    if tagged is not None:
        return tagged
    if "message_id" in msg:
        if "edit_date" in msg:
            return "edited_chat"
        if "new_reaction" in msg:
            return "message_reaction"
        if "reactions" in msg:
            return "message_reaction_count"
        return "chat"
    for name, fields in _SHAPES:
        for field in fields:
            if field not in msg:
                break
        else:
            return name
    if len(msg) == 1:
        return next(iter(msg))
    raise BadFlavor(msg)


def handler_names(flavor: str) -> Tuple[str, ...]:
    """The names of the methods that handle ``flavor`` in a default router, in order of
    preference: ``on_<flavor>`` (``on__alarm`` for the event ``_alarm``), except that
    ``chat`` goes to ``on_chat_message`` and ``edited_chat`` to ``on_edited_chat_message``,
    else to ``on_chat_message``."""
    names = _HANDLER_NAMES.get(flavor)
    return names if names is not None else ("on_" + flavor,)


_HANDLER_NAMES = {"chat": ("on_chat_message",),
                  "edited_chat": ("on_edited_chat_message", "on_chat_message")}


def content_type(msg: Dict[str, Any]) -> Optional[str]:
    """The first of :data:`all_content_types` that ``msg`` carries, or None for none."""
    for name in all_content_types:
        if name in msg:
            return name
    return None


def _sender_id(msg: Dict[str, Any]) -> Optional[int]:
    sender = msg.get("user") or msg.get("voter_chat") or msg.get("actor_chat")
    return sender["id"] if sender else None


def _glance_chat(msg: Dict[str, Any], long: bool) -> tuple:
    chat = msg["chat"]
    head = (content_type(msg), chat["type"], chat["id"])
    return head + (msg["date"], msg["message_id"]) if long else head


def _boost_source(boost: Dict[str, Any]) -> Optional[str]:
    return boost.get("source", {}).get("source")


# flavor -> (headline, extra fields for long=True); each a function of the object
_GLANCES = {
    "callback_query": (
        lambda m: (m["id"], m["from"]["id"], m.get("data")),
        lambda m: (m["chat_instance"],),
    ),
    "inline_query": (
        lambda m: (m["id"], m["from"]["id"], m["query"]),
        lambda m: (m["offset"],),
    ),
    "chosen_inline_result": (
        lambda m: (m["result_id"], m["from"]["id"], m["query"]),
        lambda m: (m.get("inline_message_id"),),
    ),
    "shipping_query": (
        lambda m: (m["id"], m["from"]["id"], m["invoice_payload"]),
        lambda m: (m["shipping_address"],),
    ),
    "pre_checkout_query": (
        lambda m: (m["id"], m["from"]["id"], m["invoice_payload"]),
        lambda m: (m["currency"], m["total_amount"]),
    ),
    "poll": (
        lambda m: (m["id"], m["question"], m["is_closed"]),
        lambda m: (m["type"], m["total_voter_count"]),
    ),
    "poll_answer": (
        lambda m: (m["poll_id"], _sender_id(m), m["option_ids"]),
        lambda m: (m.get("option_persistent_ids"),),
    ),
    "chat_member": (
        lambda m: (m["chat"]["id"], m["new_chat_member"]["user"]["id"],
                   m["new_chat_member"]["status"]),
        lambda m: (m["old_chat_member"]["status"], m["date"]),
    ),
    "chat_join_request": (
        lambda m: (m["chat"]["id"], m["from"]["id"], m["user_chat_id"]),
        lambda m: (m["date"],),
    ),
    "message_reaction": (
        lambda m: (m["chat"]["id"], m["message_id"], _sender_id(m)),
        lambda m: (m["date"], m["new_reaction"]),
    ),
    "message_reaction_count": (
        lambda m: (m["chat"]["id"], m["message_id"], m["reactions"]),
        lambda m: (m["date"],),
    ),
    "chat_boost": (
        lambda m: (m["chat"]["id"], m["boost"]["boost_id"], _boost_source(m["boost"])),
        lambda m: (m["boost"]["add_date"], m["boost"]["expiration_date"]),
    ),
    "removed_chat_boost": (
        lambda m: (m["chat"]["id"], m["boost_id"], _boost_source(m)),
        lambda m: (m["remove_date"],),
    ),
    "business_connection": (
        lambda m: (m["id"], m["user"]["id"], m["is_enabled"]),
        lambda m: (m["user_chat_id"], m["date"]),
    ),
    "deleted_business_messages": (
        lambda m: (m["business_connection_id"], m["chat"]["id"], m["message_ids"]),
        lambda m: (),
    ),
    "purchased_paid_media": (
        lambda m: (m["from"]["id"], m["paid_media_payload"]),
        lambda m: (),
    ),
    "managed_bot": (
        lambda m: (m["user"]["id"], m["bot"]["id"]),
        lambda m: (),
    ),
    "subscription": (
        lambda m: (m["user"]["id"], m["invoice_payload"], m["state"]),
        lambda m: (),
    ),
    "stopped_message_generation": (
        lambda m: (m["chat"]["id"], m["draft_id"]),
        lambda m: (m.get("message_thread_id"),),
    ),
}
_GLANCES["my_chat_member"] = _GLANCES["chat_member"]


def glance(msg: Dict[str, Any], flavor: str = "chat", long: bool = False) -> tuple:
    """The headline of ``msg`` as a tuple, for the given flavor.

    Per flavor, the tuple and [what ``long=True`` adds]:

    - chat, edited_chat: content_type, chat type, chat id [date, message_id]
    - callback_query: id, from id, data [chat_instance]
    - inline_query: id, from id, query [offset]
    - chosen_inline_result: result_id, from id, query [inline_message_id]
    - shipping_query: id, from id, invoice_payload [shipping_address]
    - pre_checkout_query: id, from id, invoice_payload [currency, total_amount]
    - poll: id, question, is_closed [type, total_voter_count]
    - poll_answer: poll_id, voter (user or chat) id, option_ids [option_persistent_ids]
    - chat_member, my_chat_member: chat id, the member's user id, new status
      [old status, date]
    - chat_join_request: chat id, from id, user_chat_id [date]
    - message_reaction: chat id, message_id, reacting user or chat id [date, new_reaction]
    - message_reaction_count: chat id, message_id, reactions [date]
    - chat_boost: chat id, boost_id, source kind [add_date, expiration_date]
    - removed_chat_boost: chat id, boost_id, source kind [remove_date]
    - business_connection: id, user id, is_enabled [user_chat_id, date]
    - deleted_business_messages: business_connection_id, chat id, message_ids
    - purchased_paid_media: from id, paid_media_payload
    - managed_bot: user id, bot id
    - subscription: user id, invoice_payload, state
    - stopped_message_generation: chat id, draft_id [message_thread_id]

    content_type is the first of :data:`all_content_types` the message carries (None when
    it carries none of them: a content kind newer than this library). Raises
    :class:`~telegrambot.exception.BadFlavor` for a flavor with no glance (events).
    """
    if flavor == "chat" or flavor == "edited_chat":
        return _glance_chat(msg, long)
    try:
        head, extra = _GLANCES[flavor]
    except KeyError:
        raise BadFlavor(flavor) from None
    return head(msg) + extra(msg) if long else head(msg)


def flance(msg: Dict[str, Any], long: bool = False) -> Tuple[str, tuple]:
    """``(flavor, glance)`` of ``msg`` in one call."""
    f = flavor(msg)
    return f, glance(msg, flavor=f, long=long)


def peel(event: Dict[str, Any]) -> Any:
    """The content of an event: ``{'_alarm': data}`` gives ``data``."""
    return next(iter(event.values()))


def fleece(event: Dict[str, Any]) -> Tuple[str, Any]:
    """``(flavor, content)`` of an event."""
    key = next(iter(event))
    return key, event[key]


def is_event(msg: Dict[str, Any]) -> bool:
    """True when ``msg`` is an event (one top-level key starting with ``_``)."""
    if len(msg) != 1:
        return False
    return next(iter(msg)).startswith("_")


def message_identifier(msg: Dict[str, Any]) -> tuple:
    """What edit methods take as ``msg_identifier`` for a sent message.

    ``(chat_id, message_id)`` for a Message, ``(inline_message_id,)`` for an inline message
    (a ChosenInlineResult or a CallbackQuery from one). Raises ValueError otherwise.
    """
    if "chat" in msg and "message_id" in msg:
        return msg["chat"]["id"], msg["message_id"]
    if "inline_message_id" in msg:
        return (msg["inline_message_id"],)
    raise ValueError("not a message nor an inline message: no chat/message_id or inline_message_id")


def origin_identifier(msg: Dict[str, Any]) -> tuple:
    """The message a CallbackQuery came from, in :func:`message_identifier` form.

    Raises ValueError when the query carries neither ``message`` nor ``inline_message_id``.
    """
    if "message" in msg:
        return msg["message"]["chat"]["id"], msg["message"]["message_id"]
    if "inline_message_id" in msg:
        return (msg["inline_message_id"],)
    raise ValueError("callback query carries neither message nor inline_message_id")

