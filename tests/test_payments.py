"""Payments with delegation: per_invoice_payload() and InvoiceHandler follow one invoice
from its shipping query to its successful payment, over the emulator."""

import pytest

from telegrambot import DelegatorBot, SpeakerBot
from telegrambot.delegate import (
    call,
    create_open,
    pave_event_space,
    per_invoice_payload,
    per_message,
)
from telegrambot.helper import InvoiceContext, InvoiceHandler
from telegrambot.namedtuple import LabeledPrice, ShippingOption


def test_per_invoice_payload_seeds_on_every_step_of_a_payment():
    seed = per_invoice_payload()
    user = {"id": 1, "is_bot": False, "first_name": "A"}
    assert seed({"id": "s", "from": user, "invoice_payload": "p1",
                 "shipping_address": {}}) == "p1"
    assert seed({"id": "q", "from": user, "currency": "EUR", "total_amount": 1,
                 "invoice_payload": "p2"}) == "p2"
    message = {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}
    assert seed(dict(message, successful_payment={"invoice_payload": "p3"})) == "p3"
    assert seed(dict(message, refunded_payment={"invoice_payload": "p4"})) == "p4"
    assert seed(dict(message, text="hi")) is None
    assert seed({"user": user, "invoice_payload": "p5", "state": "active"}) is None  # a subscription
    assert seed({"weird": 1, "shape": 2}) is None


def test_one_invoice_handler_sees_the_whole_payment(emulator):
    journal = []

    class Order(InvoiceHandler):
        def on_shipping_query(self, msg):
            journal.append(("shipping", self.payload, id(self)))
            self.bot.answerShippingQuery(msg["id"], True, shipping_options=[
                ShippingOption(id="post", title="Post", prices=[LabeledPrice(label="Post", amount=300)])])

        def on_pre_checkout_query(self, msg):
            journal.append(("checkout", self.payload, id(self)))
            self.bot.answerPreCheckoutQuery(msg["id"], True)

        def on_chat_message(self, msg):
            journal.append(("paid", self.payload, id(self)))
            paid = msg["successful_payment"]
            self.bot.sendMessage(msg["chat"]["id"], "Paid %d %s by %s" % (
                paid["total_amount"], paid["currency"], paid["shipping_option_id"]))

    def send_invoice(seed_tuple):
        bot, msg, seed = seed_tuple
        if msg.get("text", "").startswith("/buy "):
            payload = msg["text"].split()[1]
            bot.sendInvoice(msg["chat"]["id"], "Tea", "Green tea", payload, "EUR",
                            [LabeledPrice(label="Tea", amount=500)],
                            need_shipping_address=True, is_flexible=True)

    bot = DelegatorBot(emulator.token, [
        (per_message(flavors=["chat"]), call(send_invoice)),
        pave_event_space()(per_invoice_payload(), create_open, Order, timeout=30),
    ], api_url=emulator.api_url)
    alice, bob = emulator.user("Alice"), emulator.user("Bob")
    try:
        bot.message_loop()
        alice.send("/buy order-a")
        bob.send("/buy order-b")
        assert alice.wait_for_message()["invoice"]["total_amount"] == 500
        assert bob.wait_for_message()["invoice"]["title"] == "Tea"
        for user, payload in ((alice, "order-a"), (bob, "order-b")):
            shipping = user.shipping_query(payload)
            answer = emulator.wait_until(lambda q=shipping: emulator.answers.get(q["id"]))
            assert answer["ok"] is True and answer["shipping_options"][0]["id"] == "post"
            checkout = user.pre_checkout_query(payload, "EUR", 800, shipping_option_id="post")
            assert emulator.wait_until(lambda q=checkout: emulator.answers.get(q["id"]))["ok"] is True
            user.pay(checkout)
        assert alice.wait_for_message()["text"] == "Paid 800 EUR by post"
        assert bob.wait_for_message()["text"] == "Paid 800 EUR by post"
    finally:
        bot.stop()
        bot.close_connections()
    for payload in ("order-a", "order-b"):
        steps = [(step, who) for step, p, who in journal if p == payload]
        assert [step for step, _ in steps] == ["shipping", "checkout", "paid"]
        assert len({who for _, who in steps}) == 1  # one delegate per invoice, all along
    assert len({who for _, _, who in journal}) == 2


def test_invoice_context_and_the_emulator_refuses_an_unaccepted_payment(emulator, bot):
    speaker = SpeakerBot(emulator.token, api_url=emulator.api_url)
    context = InvoiceContext(speaker, "order-9")
    assert context.payload == "order-9" and context.id == "order-9"
    context.listener.close()
    alice = emulator.user("Alice")
    checkout = alice.pre_checkout_query("order-9")
    with pytest.raises(AssertionError, match="not accepted"):
        alice.pay(checkout)
    bot.answerPreCheckoutQuery(checkout["id"], False, error_message="out of stock")
    with pytest.raises(AssertionError, match="not accepted"):
        alice.pay(checkout)
