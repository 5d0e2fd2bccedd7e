"""Payments: invoices with and without shipping, the queries before the charge, the payment.

``/shipping`` sends an invoice for coffee beans that asks for the buyer's name, phone,
email and address, with a shipping price that depends on the address (``is_flexible``):
Telegram asks the bot for shipping options for the address entered (``shipping_query``).
``/noshipping`` sends an invoice for an e-book, with no shipping and nothing to ask.
Either way Telegram asks the bot to confirm the order just before charging
(``pre_checkout_query``), and then posts a ``successful_payment`` message. For a real run,
set PAYMENT_PROVIDER_TOKEN to a payment provider token from @BotFather (a test one works).
The counterpart of python-telegram-bot's paymentbot.py.
"""

import os
import sys

from _common import main

import telegrambot
from telegrambot.namedtuple import LabeledPrice, ShippingOption

BEANS, RECIPES = "beans-250g", "recipes-ebook"  # invoice payloads: what was ordered
PRICES = {BEANS: 1290, RECIPES: 490}  # in cents
# shipping option -> (title, [(label, cents), ...]): a price may have several parts
SHIPPING = {"post": ("Post, 3 days", [("Post", 490)]),
            "courier": ("Courier, tomorrow", [("Courier", 990), ("Insurance", 300)])}
SHIP_TO = {"GB", "DE", "FR", "IT", "NL"}


def order_total(payload, option_id):
    """What an order costs in cents, or None for one that no invoice of ours allows."""
    if payload == BEANS:
        if option_id not in SHIPPING:
            return None
        return PRICES[BEANS] + sum(cents for label, cents in SHIPPING[option_id][1])
    return PRICES.get(payload) if option_id is None else None


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    provider_token = os.environ.get("PAYMENT_PROVIDER_TOKEN", "emulated-provider-token")

    def invoice(chat_id, payload, title, description, **asks):
        bot.sendInvoice(chat_id, title, description, payload, "EUR",
                        [LabeledPrice(label=title, amount=PRICES[payload])],
                        provider_token=provider_token, **asks)

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        text = msg.get("text", "")
        if content_type == "successful_payment":
            paid = msg["successful_payment"]
            thanks = "Thank you for your payment: %.2f %s." % (paid["total_amount"] / 100, paid["currency"])
            if paid["invoice_payload"] == BEANS:
                thanks += " Your beans go by %s to %s." % (
                    SHIPPING[paid["shipping_option_id"]][0], paid["order_info"]["name"])
            bot.sendMessage(chat_id, thanks)
        elif text.startswith("/shipping"):
            invoice(chat_id, BEANS, "Coffee beans", "250 g, roasted this morning",
                    need_name=True, need_phone_number=True, need_email=True,
                    need_shipping_address=True, is_flexible=True)
        elif text.startswith("/noshipping"):
            invoice(chat_id, RECIPES, "Coffee recipes", "An e-book of 30 recipes")
        else:
            bot.sendMessage(chat_id, "Use /shipping for coffee beans sent to you, or "
                                     "/noshipping for an e-book of recipes.")

    def on_shipping_query(msg):
        query_id, from_id, payload = telegrambot.glance(msg, flavor="shipping_query")
        if payload != BEANS:  # not an invoice of ours that ships
            bot.answerShippingQuery(query_id, False, error_message="Something went wrong...")
        elif msg["shipping_address"]["country_code"] not in SHIP_TO:
            bot.answerShippingQuery(query_id, False, error_message="Sorry, we do not ship there.")
        else:
            bot.answerShippingQuery(query_id, True, shipping_options=[
                ShippingOption(id=option_id, title=title,
                               prices=[LabeledPrice(label=label, amount=cents) for label, cents in parts])
                for option_id, (title, parts) in SHIPPING.items()])

    def on_pre_checkout_query(msg):
        query_id, from_id, payload = telegrambot.glance(msg, flavor="pre_checkout_query")
        expected = order_total(payload, msg.get("shipping_option_id"))
        if expected is None or msg["total_amount"] != expected or msg["currency"] != "EUR":
            bot.answerPreCheckoutQuery(query_id, False,
                                       error_message="This order has changed, please start again.")
        else:
            bot.answerPreCheckoutQuery(query_id, True)

    bot.message_loop({
        "chat": on_chat,
        "shipping_query": on_shipping_query,
        "pre_checkout_query": on_pre_checkout_query,
    })
    return bot


def scenario(talk):
    alice = talk.user("Alice")
    talk.say(alice, "/start")
    talk.expect(alice, "Use /shipping for coffee beans")

    talk.say(alice, "/noshipping")
    ebook = talk.expect(alice, "[invoice: Coffee recipes]")["invoice"]
    assert (ebook["total_amount"], ebook["currency"]) == (490, "EUR"), ebook
    query = talk.act(alice, "pays 4.90 EUR", lambda: alice.pre_checkout_query(RECIPES, "EUR", 490))
    talk.expect_answer(query, "ok")
    talk.act(alice, "is charged", lambda: alice.pay(query))
    talk.expect(alice, "Thank you for your payment: 4.90 EUR.")

    talk.say(alice, "/shipping")
    talk.expect(alice, "[invoice: Coffee beans]")
    sent = talk.emu.wait_for_request("sendInvoice", predicate=lambda r: r.params["payload"] == BEANS)
    asks = {k for k, v in sent.params.items() if k.startswith("need_") and v}
    assert asks == {"need_name", "need_phone_number", "need_email", "need_shipping_address"}, asks

    us = {"country_code": "US", "state": "NY", "city": "New York", "street_line1": "1 Main St",
          "street_line2": "", "post_code": "10001"}
    query = talk.act(alice, "enters an address in New York",
                     lambda: alice.shipping_query(BEANS, shipping_address=us))
    talk.expect_answer(query, "refused: Sorry, we do not ship there.")
    query = talk.act(alice, "enters an address in London", lambda: alice.shipping_query(BEANS))
    options = talk.expect_answer(query, "ok: Post, 3 days, Courier, tomorrow")["shipping_options"]
    assert [len(o["prices"]) for o in options] == [1, 2], options
    query = talk.act(alice, "enters an address for an invoice the bot never sent",
                     lambda: alice.shipping_query("someone-elses-payload"))
    talk.expect_answer(query, "refused: Something went wrong...")

    order = {"name": "Alice Liddell", "phone_number": "+441865000000",
             "email": "alice@example.org"}
    query = talk.act(alice, "chooses the courier, but is shown the post's price (17.80 EUR)",
                     lambda: alice.pre_checkout_query(BEANS, "EUR", 1780, shipping_option_id="courier",
                                                      order_info=order))
    talk.expect_answer(query, "refused: This order has changed")
    query = talk.act(alice, "pays 25.80 EUR, courier delivery",
                     lambda: alice.pre_checkout_query(BEANS, "EUR", 2580, shipping_option_id="courier",
                                                      order_info=order))
    talk.expect_answer(query, "ok")
    talk.act(alice, "is charged", lambda: alice.pay(query))
    talk.expect(alice, "Thank you for your payment: 25.80 EUR. "
                       "Your beans go by Courier, tomorrow to Alice Liddell.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))
