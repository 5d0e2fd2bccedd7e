"""I/O-free logic shared by the runtimes: no sockets, threads or clocks in here.

Each module takes what it needs (the time included) as arguments and returns decisions, so
the threaded runtime, the asyncio runtime and the emulator drive the same rules. None of
them imports threading, queue, socket, logging or a runtime module
(``tests/test_core_purity.py`` checks it).

- :mod:`telegrambot.core.methods`: the Bot API methods as data (generated);
- :mod:`telegrambot.core.request`: a call turned into an HTTP request;
- :mod:`telegrambot.core.answer`: an answer turned into its result or its exception;
- :mod:`telegrambot.core.redact`: the bot token kept out of text;
- :mod:`telegrambot.core.defaults`: parameter defaults filled into calls;
- :mod:`telegrambot.core.limits`: Telegram's flood limits as token buckets, which calls
  count, which are safe to repeat;
- :mod:`telegrambot.core.flavor`: what an incoming object is (flavors, glances,
  identifiers), and an update's object;
- :mod:`telegrambot.core.polling`: a polling loop's offset, backoff and confirmation, and
  what a bot's loops share;
- :mod:`telegrambot.core.ordering`: updates put back in update_id order with ``maxhold``,
  late updates told from repeats;
- :mod:`telegrambot.core.http`: HTTP/1.1 request heads parsed with limits, answer heads
  written (the threaded server core's, for the webhook receiver and the emulator);
- :mod:`telegrambot.core.webhook_rules`: a webhook request's head and body checked, the
  update_ids accepted lately;
- :mod:`telegrambot.core.records`: what a store keeps, the JSON rule, state keys, a
  commit checked and encoded, repeat arithmetic, counting an update's parts;
- :mod:`telegrambot.core.groupcommit`: which submitted writes go into the next
  transaction;
- :mod:`telegrambot.core.durable`: a bot with a store: the parts of an update or event
  still in work, what is handed over after a restart, restored events' due times;
- :mod:`telegrambot.core.routing`: routers, key functions, the default router's flavor
  table;
- :mod:`telegrambot.core.seeding`: seeders and the pair producers that compose them;
- :mod:`telegrambot.core.delegation`: a DelegatorBot's delegate table (which seed has a
  live delegate, successors, leftovers);
- :mod:`telegrambot.core.capture`: which listeners a message is for, and what the
  standard delegates capture;
- :mod:`telegrambot.core.origins`: which messages a delegate's calls give callback buttons
  to;
- :mod:`telegrambot.core.events`: the scheduler's event heap;
- :mod:`telegrambot.core.deadlines`: the idle deadlines of many delegates, for one sweeper;
- :mod:`telegrambot.core.notes`: lines to log, returned as data;
- :mod:`telegrambot.core.lograte`: one log line per cause per interval;
- :mod:`telegrambot.core.bounded`: a dict and a set that keep their newest entries;
- :mod:`telegrambot.core.callbackdata`: arbitrary callback data, sent as ids and put back
  into what comes in;
- :mod:`telegrambot.core.conversation`: which step of a conversation a message is for,
  and where a step leads.
"""

__all__ = [
    "answer",
    "bounded",
    "callbackdata",
    "capture",
    "conversation",
    "deadlines",
    "defaults",
    "delegation",
    "durable",
    "events",
    "flavor",
    "groupcommit",
    "http",
    "limits",
    "lograte",
    "methods",
    "notes",
    "ordering",
    "origins",
    "polling",
    "records",
    "redact",
    "request",
    "routing",
    "seeding",
    "webhook_rules",
]
