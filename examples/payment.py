"""Payments: an invoice, a shipping query, a pre-checkout query, a successful payment.

``/buy`` sends an invoice for physical goods with a flexible shipping price. Telegram then
asks the bot for shipping options for the buyer's address (``shipping_query``), asks it to
confirm the order just before charging (``pre_checkout_query``), and finally posts a
``successful_payment`` message. For a real run, set PAYMENT_PROVIDER_TOKEN to a payment
provider token from @BotFather (a test one works).
"""

import os
import sys

from _common import main

import telegrambot
from telegrambot.namedtuple import LabeledPrice, ShippingOption

PAYLOAD = "beans-250g"
PRICE = 1290  # in cents
SHIPPING = {"post": ("Post, 3 days", 490), "courier": ("Courier, tomorrow", 1290)}
SHIP_TO = {"GB", "DE", "FR", "IT", "NL"}


def start(token, api_url):
    bot = telegrambot.Bot(token, api_url)
    provider_token = os.environ.get("PAYMENT_PROVIDER_TOKEN", "emulated-provider-token")

    def on_chat(msg):
        content_type, chat_type, chat_id = telegrambot.glance(msg)
        if content_type == "successful_payment":
            paid = msg["successful_payment"]
            bot.sendMessage(chat_id, "Paid %.2f %s, thank you! Shipping by %s." % (
                paid["total_amount"] / 100, paid["currency"],
                SHIPPING[paid["shipping_option_id"]][0]))
        elif msg.get("text", "").startswith("/buy"):
            bot.sendInvoice(
                chat_id, "Emulated coffee beans", "250 g, roasted this morning", PAYLOAD, "EUR",
                [LabeledPrice(label="Beans, 250 g", amount=PRICE)],
                provider_token=provider_token, need_shipping_address=True, is_flexible=True)
        else:
            bot.sendMessage(chat_id, "Say /buy to order coffee beans.")

    def on_shipping_query(msg):
        query_id, from_id, payload = telegrambot.glance(msg, flavor="shipping_query")
        if msg["shipping_address"]["country_code"] not in SHIP_TO:
            bot.answerShippingQuery(query_id, False, error_message="Sorry, we do not ship there.")
            return
        options = [ShippingOption(id=key, title=title, prices=[LabeledPrice(label=title, amount=cost)])
                   for key, (title, cost) in SHIPPING.items()]
        bot.answerShippingQuery(query_id, True, shipping_options=options)

    def on_pre_checkout_query(msg):
        query_id, from_id, payload = telegrambot.glance(msg, flavor="pre_checkout_query")
        option = SHIPPING.get(msg.get("shipping_option_id"))
        if payload != PAYLOAD or option is None or msg["total_amount"] != PRICE + option[1]:
            bot.answerPreCheckoutQuery(query_id, False, error_message="This order has changed, please start again.")
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
    talk.say(alice, "/buy")
    invoice = talk.expect(alice, "[invoice: Emulated coffee beans]")["invoice"]
    assert invoice["total_amount"] == PRICE, invoice

    us = {"country_code": "US", "state": "NY", "city": "New York", "street_line1": "1 Main St",
          "street_line2": "", "post_code": "10001"}
    query = talk.act(alice, "enters an address in New York",
                     lambda: alice.shipping_query(PAYLOAD, shipping_address=us))
    talk.expect_answer(query, "refused: Sorry, we do not ship there.")
    query = talk.act(alice, "enters an address in London", lambda: alice.shipping_query(PAYLOAD))
    talk.expect_answer(query, "ok: Post, 3 days, Courier, tomorrow")

    query = talk.act(alice, "pays 17.80 EUR, but for courier delivery",
                     lambda: alice.pre_checkout_query(PAYLOAD, "EUR", 1780, shipping_option_id="courier"))
    talk.expect_answer(query, "refused: This order has changed")
    query = talk.act(alice, "pays 17.80 EUR, by post",
                     lambda: alice.pre_checkout_query(PAYLOAD, "EUR", 1780, shipping_option_id="post"))
    talk.expect_answer(query, "ok")

    payment = {"currency": "EUR", "total_amount": 1780, "invoice_payload": PAYLOAD,
               "shipping_option_id": "post", "telegram_payment_charge_id": "tg-1",
               "provider_payment_charge_id": "pp-1"}
    talk.act(alice, "is charged; Telegram reports the payment",
             lambda: alice.send(successful_payment=payment))
    talk.expect(alice, "Paid 17.80 EUR, thank you! Shipping by Post, 3 days.")


if __name__ == "__main__":
    sys.exit(main(start, scenario, __doc__))
