"""Membership changes in ``chat_member`` and ``my_chat_member`` updates.

A ChatMemberUpdated carries the member as she was (``old_chat_member``) and as she is
(``new_chat_member``). Whether someone *is in* the chat is not just her status: a
``restricted`` member may be in the chat or not (her ``is_member`` says), and ``left`` and
``kicked`` are out. These helpers answer the questions a bot asks of such an update::

    def on_chat_member(msg):                       # a ChatMemberUpdated dict
        if joined(msg):
            bot.sendMessage(msg["chat"]["id"], "Welcome!")
        elif left(msg):
            bot.sendMessage(msg["chat"]["id"], "Goodbye!")

For ``my_chat_member`` the member is the bot itself: ``joined`` means it was added to a
group or channel (or unblocked in a private chat), ``left`` that it was removed (or
blocked).

https://core.telegram.org/bots/api#chatmemberupdated
"""

from typing import Any, Mapping, Optional, Tuple

__all__ = [
    "MEMBER_STATUSES",
    "is_member",
    "membership_change",
    "status_change",
    "joined",
    "left",
]

#: Statuses that always mean "in the chat" (``restricted`` depends on ``is_member``).
MEMBER_STATUSES = frozenset({"creator", "administrator", "member"})
_STATUSES = MEMBER_STATUSES | {"restricted", "left", "kicked"}


def is_member(chat_member: Mapping[str, Any]) -> bool:
    """Whether a ChatMember is in the chat: its status is ``creator``, ``administrator`` or
    ``member``, or ``restricted`` with ``is_member`` true.

    https://core.telegram.org/bots/api#chatmember
    """
    try:
        status = chat_member["status"]
    except (KeyError, TypeError):
        raise ValueError("not a ChatMember (no 'status'): %r" % (chat_member,)) from None
    if status in MEMBER_STATUSES:
        return True
    if status == "restricted":
        return bool(chat_member.get("is_member"))
    if status in _STATUSES:
        return False
    raise ValueError("unknown chat member status %r" % (status,))


def _members(update: Mapping[str, Any]) -> Tuple[Mapping[str, Any], Mapping[str, Any]]:
    try:
        return update["old_chat_member"], update["new_chat_member"]
    except (KeyError, TypeError):
        raise ValueError(
            "not a ChatMemberUpdated (the object of a chat_member or my_chat_member update): "
            "it needs 'old_chat_member' and 'new_chat_member'"
        ) from None


def membership_change(update: Mapping[str, Any]) -> Tuple[bool, bool]:
    """``(was_member, is_member)`` of a ChatMemberUpdated (see :func:`is_member`)."""
    old, new = _members(update)
    return is_member(old), is_member(new)


def status_change(update: Mapping[str, Any]) -> Optional[Tuple[str, str]]:
    """``(old_status, new_status)`` of a ChatMemberUpdated, or None if the status stayed
    the same (rights or ``is_member`` may still have changed)."""
    old, new = _members(update)
    before, after = str(old.get("status")), str(new.get("status"))
    return None if before == after else (before, after)


def joined(update: Mapping[str, Any]) -> bool:
    """The member was not in the chat and now is (added, joined, unbanned and re-added,
    a restricted member let back in, the bot unblocked)."""
    was, now = membership_change(update)
    return now and not was


def left(update: Mapping[str, Any]) -> bool:
    """The member was in the chat and now is not (left, removed, banned, the bot blocked)."""
    was, now = membership_change(update)
    return was and not now
