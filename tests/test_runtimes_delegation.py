"""Delegation scenarios written once and run on both runtimes (the ``runtime`` fixture):
DelegatorBot with the same seeders, ``create_open`` and the ready-made handlers, a thread
per delegate in one, a task in the other, polling the emulator through ``message_loop``.

A handler body is the same for both: a proxy's call (``self.sender.sendMessage(...)``) is
returned, so the asyncio driver awaits it while the threaded call has already been made.
At the end, no ``telegrambot-`` thread or task may be left running (the fixture checks)."""

import logging
import threading


class Record:
    """What handlers report, from any thread; ``wait(n)`` blocks until ``n`` entries."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, item):
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait(self, count, timeout=10.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.items) >= count, timeout), self.items
            return list(self.items)


def counter_class(runtime, record):
    class Counter(runtime.helper.ChatHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.count = 0

        def on_chat_message(self, msg):
            if msg["text"] == "boom":
                raise RuntimeError("boom")
            self.count += 1
            record.add((self.chat_id, msg["text"], self.count))
            return self.sender.sendMessage("%d: %s" % (self.count, msg["text"]))

        def on_close(self, ex):
            record.add((self.chat_id, type(ex).__name__))
            return super().on_close(ex)

    return Counter


def chat_bot(runtime, record, timeout=60):
    d = runtime.delegate
    return runtime.make_delegator_bot([d.pave_event_space()(
        d.per_chat_id(), d.create_open, counter_class(runtime, record), timeout=timeout)])


def replies(person, count):
    return [person.wait_for_message()["text"] for _ in range(count)]


def test_a_delegate_per_chat_counts_its_own_messages(runtime, emulator):
    record = Record()
    bot = chat_bot(runtime, record)
    bot.message_loop()
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("a")
    bob.send("x")
    alice.send("b")
    assert replies(alice, 2) == ["1: a", "2: b"]
    assert replies(bob, 1) == ["1: x"]
    assert bot.delegate_count() == 2
    bot.stop()
    assert bot.delegate_count() == 0
    closed = [item for item in record.wait(5) if len(item) == 2]
    assert sorted(closed) == sorted([(alice.id, "StopListening"), (bob.id, "StopListening")])


def test_an_idle_delegate_closes_and_the_next_message_starts_afresh(runtime, emulator):
    record = Record()
    bot = chat_bot(runtime, record, timeout=0.3)
    bot.message_loop()
    alice = emulator.user("Alice")
    alice.send("a")
    assert replies(alice, 1) == ["1: a"]
    assert record.wait(2)[1] == (alice.id, "IdleTerminate")
    alice.send("b")
    assert replies(alice, 1) == ["1: b"]  # a new delegate: its count starts again


def test_a_failing_handler_ends_its_delegate_only(runtime, emulator, caplog):
    record = Record()
    bot = chat_bot(runtime, record)
    bot.message_loop()
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("a")
    assert replies(alice, 1) == ["1: a"]
    alice.send("boom")
    assert record.wait(2)[1] == (alice.id, "RuntimeError")
    bob.send("x")
    alice.send("c")
    assert replies(bob, 1) == ["1: x"]
    assert replies(alice, 1) == ["1: c"]
    assert any(r.levelno >= logging.ERROR and r.exc_info and r.exc_info[0] is RuntimeError
               for r in caplog.records)


def test_a_delegate_per_user_follows_her_across_chats(runtime, emulator):
    record = Record()

    class Follower(runtime.helper.UserHandler):
        def on_chat_message(self, msg):
            record.add((self.user_id, msg["chat"]["type"], msg["text"]))

    d = runtime.delegate
    bot = runtime.make_delegator_bot([d.pave_event_space()(
        d.per_from_id(), d.create_open, Follower, timeout=60, flavors=["chat"])])
    bot.message_loop()
    alice = emulator.user("Alice")
    group = emulator.group("Team")
    alice.join(group)
    alice.send("private")
    alice.send("in the group", chat=group)
    assert sorted(record.wait(2)) == sorted([(alice.id, "private", "private"),
                                             (alice.id, "group", "in the group")])
    assert bot.delegate_count() == 1


def test_callback_queries_go_to_the_delegate_of_their_message(runtime, emulator):
    record = Record()

    class Origin(runtime.helper.CallbackQueryOriginHandler):
        def on_callback_query(self, msg):
            record.add((self.origin, msg["data"]))
            return self.editor.editMessageText("pressed " + msg["data"])

    d = runtime.delegate
    bot = runtime.make_delegator_bot([d.pave_event_space()(
        d.per_callback_query_origin(), d.create_open, Origin, timeout=60)])
    bot.message_loop()
    alice = emulator.user("Alice")
    sent = bot.sendMessage(alice.id, "pick", reply_markup={
        "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]})
    alice.press(sent, "yes")
    assert record.wait(1) == [((alice.id, sent["message_id"]), "yes")]
    edited = alice.wait_for_message(predicate=lambda m: m.get("text") == "pressed yes")
    assert edited["message_id"] == sent["message_id"]


def test_inline_queries_answered_per_user(runtime, emulator):
    record = Record()

    def results(query):
        return [{"type": "article", "id": "1", "title": query.upper(),
                 "input_message_content": {"message_text": query}}]

    class Inline(runtime.helper.InlineUserHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.answerer = runtime.helper.Answerer(self.bot)

        def on_inline_query(self, msg):
            self.answerer.answer(msg, results, msg["query"])

        def on_chosen_inline_result(self, msg):
            record.add(msg["result_id"])

    d = runtime.delegate
    bot = runtime.make_delegator_bot([d.pave_event_space()(
        d.per_inline_from_id(), d.create_open, Inline, timeout=60)])
    bot.message_loop()
    alice = emulator.user("Alice")
    query = alice.inline_query("cats")
    alice.choose_inline_result("1", "cats")
    assert record.wait(1) == ["1"]
    answer = emulator.wait_for_request("answerInlineQuery")
    assert answer.params["inline_query_id"] == query["id"]
    assert answer.params["results"][0]["title"] == "CATS"


# -- the error hook -------------------------------------------------------------------------


def test_a_handlers_error_goes_to_on_error_with_the_message_it_handled(runtime, emulator):
    errors, closed = Record(), Record()

    class Fragile(runtime.helper.ChatHandler):
        def on_chat_message(self, msg):
            if msg["text"] == "boom":
                raise ValueError("kaboom")
            return self.sender.sendMessage("ok " + msg["text"])

        def on_close(self, ex):
            closed.add(ex)

    d = runtime.delegate
    bot = runtime.make_delegator_bot(
        [d.pave_event_space()(d.per_chat_id(), d.create_open, Fragile, timeout=10)],
        on_error=lambda exc, msg: errors.add((exc, msg)))
    bot.message_loop()
    alice = emulator.user("Alice")
    alice.send("first")
    assert alice.wait_for_message()["text"] == "ok first"
    alice.send("boom")  # not the delegate's first message: the one it was handling counts
    (exc, msg), = errors.wait(1)
    assert isinstance(exc, ValueError) and msg["text"] == "boom"
    assert closed.wait(1) == [exc]


def test_a_function_delegate_a_seeder_and_on_close_report_with_the_message(runtime, emulator):
    errors = Record()

    def worker(seed_tuple):
        bot, msg, seed = seed_tuple
        raise RuntimeError("worker failed on %s" % msg["text"])

    def picky_seeder(msg):
        if msg.get("text") == "seed boom":
            raise TypeError("the seeder failed")
        return None

    class Closing(runtime.helper.ChatHandler):
        def on_chat_message(self, msg):
            self.close()  # StopListening: a normal end, then on_close fails

        def on_close(self, ex):
            raise OSError("on_close failed on purpose")

    d = runtime.delegate
    bot = runtime.make_delegator_bot(
        [(d.per_from_id(), d.call(worker)), (picky_seeder, d.call(worker)),
         d.pave_event_space()(d.per_chat_id(), d.create_open, Closing, timeout=10)],
        on_error=lambda exc, msg: errors.add((type(exc).__name__, msg["text"])))
    bot.message_loop()
    alice = emulator.user("Alice")
    alice.send("hello")
    assert sorted(errors.wait(2)) == [("OSError", "hello"), ("RuntimeError", "hello")]
    alice.send("seed boom")
    assert ("TypeError", "seed boom") in errors.wait(5)


# -- invoices and monitors ------------------------------------------------------------------


def test_an_invoice_handler_sees_its_checkout_and_payment(runtime, emulator):
    record = Record()

    class Order(runtime.helper.InvoiceHandler):
        def on_pre_checkout_query(self, msg):
            record.add(("checkout", self.payload))
            return self.bot.answerPreCheckoutQuery(msg["id"], True)

        def on_chat_message(self, msg):
            record.add(("paid", self.payload, msg["successful_payment"]["total_amount"]))

    d = runtime.delegate
    bot = runtime.make_delegator_bot([d.pave_event_space()(
        d.per_invoice_payload(), d.create_open, Order, timeout=30)])
    bot.message_loop()
    alice = emulator.user("Alice")
    checkout = alice.pre_checkout_query("order-7", "EUR", 500)
    assert emulator.wait_until(lambda: emulator.answers.get(checkout["id"]))["ok"] is True
    alice.pay(checkout)
    assert record.wait(2) == [("checkout", "order-7"), ("paid", "order-7", 500)]
    assert bot.delegate_count() == 1


def test_a_monitor_captures_what_it_is_told_and_never_times_out(runtime, emulator):
    record = Record()

    class Watcher(runtime.helper.Monitor):
        def on_chat_message(self, msg):
            record.add(msg["text"])

    d = runtime.delegate
    bot = runtime.make_delegator_bot([(d.per_application(), d.create_open(
        Watcher, capture=[[{"chat": {"type": "private"}}]]))])
    bot.message_loop()
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    alice.send("one")
    bob.send("two")
    assert record.wait(2) == ["one", "two"]
    assert bot.delegate_count() == 1  # one monitor for the whole application


def test_presses_on_a_delegates_messages_come_back_to_it_and_to_its_successor(runtime, emulator):
    """intercept_callback_query_origin with InterceptCallbackQueryMixin: a press on a
    message the delegate sent goes to it, and after it closed, to the next delegate of
    the chat, which inherits the origins."""
    record = Record()

    class Ballot(runtime.helper.ChatHandler, runtime.helper.InterceptCallbackQueryMixin):
        def on_chat_message(self, msg):
            if msg["text"] == "bye":
                self.close()
            return self.sender.sendMessage("vote", reply_markup={
                "inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]})

        def on_callback_query(self, msg):
            record.add((id(self), msg["data"]))
            return self.bot.answerCallbackQuery(msg["id"], text="noted")

    d = runtime.delegate
    bot = runtime.make_delegator_bot([d.intercept_callback_query_origin(d.pave_event_space())(
        d.per_chat_id(), d.create_open, Ballot, timeout=10)])
    bot.message_loop()
    alice = emulator.user("Alice")
    alice.send("ballot")
    ballot = alice.wait_for_message()
    # the barrier: the delegate handles its messages one at a time, so once the answer to
    # the next one is there, the call that sent the ballot has returned and its origin is
    # captured (the message reaches Alice a moment before the call returns)
    alice.send("again")
    alice.wait_for_message()
    alice.press(ballot, "yes")
    (first, data), = record.wait(1)
    assert data == "yes"
    assert emulator.wait_for_request("answerCallbackQuery").params["text"] == "noted"
    alice.send("bye")  # the delegate closes; the ballot's origin passes to the next one
    alice.press(ballot, "yes")
    assert record.wait(2)[1][1] == "yes"
    assert bot.delegate_count() == 1
