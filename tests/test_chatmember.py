"""telegrambot.chatmember: is_member over every status, and the changes the emulator's
chat_member / my_chat_member updates carry to a real bot's loop."""

import queue

import pytest

from telegrambot.chatmember import is_member, joined, left, membership_change, status_change

USER = {"id": 7, "is_bot": False, "first_name": "A"}


def member(status, **fields):
    return dict({"status": status, "user": USER}, **fields)


@pytest.mark.parametrize("chat_member, expected", [
    (member("creator", is_anonymous=False), True),
    (member("administrator"), True),
    (member("member"), True),
    (member("restricted", is_member=True), True),
    (member("restricted", is_member=False), False),
    (member("restricted"), False),
    (member("left"), False),
    (member("kicked", until_date=0), False),
])
def test_is_member(chat_member, expected):
    assert is_member(chat_member) is expected


def test_is_member_refuses_what_is_not_a_member():
    with pytest.raises(ValueError, match="status"):
        is_member({"user": USER})
    with pytest.raises(ValueError, match="unknown chat member status 'owner'"):
        is_member(member("owner"))


def update(old, new):
    return {"chat": {"id": -1, "type": "group"}, "from": USER, "date": 0,
            "old_chat_member": old, "new_chat_member": new}


@pytest.mark.parametrize("old, new, change, status", [
    (member("left"), member("member"), (False, True), ("left", "member")),
    (member("member"), member("left"), (True, False), ("member", "left")),
    (member("member"), member("kicked"), (True, False), ("member", "kicked")),
    (member("member"), member("administrator"), (True, True), ("member", "administrator")),
    (member("member"), member("restricted", is_member=True), (True, True), ("member", "restricted")),
    (member("restricted", is_member=False), member("restricted", is_member=True), (False, True), None),
    (member("restricted", is_member=True), member("restricted", is_member=False), (True, False), None),
    (member("kicked"), member("left"), (False, False), ("kicked", "left")),
    (member("creator"), member("creator"), (True, True), None),
])
def test_changes(old, new, change, status):
    upd = update(old, new)
    assert membership_change(upd) == change
    assert status_change(upd) == status
    assert joined(upd) is (change == (False, True))
    assert left(upd) is (change == (True, False))


def test_not_an_update():
    with pytest.raises(ValueError, match="ChatMemberUpdated"):
        joined({"message_id": 1})


def test_emulated_updates_reach_a_bot_with_the_right_changes(emulator, bot):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    group = emulator.supergroup("Team", members=[alice])
    seen = queue.Queue()

    def handle(msg):
        if "new_chat_member" in msg:
            seen.put((msg["_update_type"], msg["new_chat_member"]["user"]["first_name"],
                      membership_change(msg)))

    bot.message_loop(handle, allowed_updates=["message", "chat_member", "my_chat_member"])
    bob.join(group)
    alice.change_member(group, bob, "restricted", is_member=True)
    alice.change_member(group, bob, "restricted", is_member=False)
    now = emulator.call("getChatMember", {"chat_id": group.id, "user_id": bob.id}, {})
    assert (now["status"], now["is_member"]) == ("restricted", False)
    alice.change_member(group, bob, "restricted", is_member=True)
    alice.change_member(group, bob, "kicked", until_date=0)
    assert emulator.call("getChatMember", {"chat_id": group.id, "user_id": bob.id}, {})["status"] == "kicked"
    alice.remove_bot(group)
    bob.block_bot()
    bob.unblock_bot()
    got = [seen.get(timeout=5) for _ in range(8)]
    assert got == [
        ("chat_member", "Bob", (False, True)),
        ("chat_member", "Bob", (True, True)),
        ("chat_member", "Bob", (True, False)),
        ("chat_member", "Bob", (False, True)),
        ("chat_member", "Bob", (True, False)),
        ("my_chat_member", "Emulator Bot", (True, False)),
        ("my_chat_member", "Emulator Bot", (True, False)),
        ("my_chat_member", "Emulator Bot", (False, True)),
    ]


def test_a_restricted_member_who_leaves_was_a_member(emulator):
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    group = emulator.supergroup("Team", members=[alice, bob])
    alice.change_member(group, bob, "restricted", is_member=True)
    change = bob.leave(group)
    assert change["old_chat_member"]["is_member"] is True
    assert left(change) and membership_change(change) == (True, False)
    assert bob.join(group)["old_chat_member"]["status"] == "left"
