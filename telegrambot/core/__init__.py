"""I/O-free logic shared by the runtimes: no sockets, threads or clocks in here.

Each module takes what it needs (the time included) as arguments and returns decisions, so
the threaded runtime, the asyncio runtime and the emulator drive the same rules.

- :mod:`telegrambot.core.defaults`: parameter defaults filled into calls;
- :mod:`telegrambot.core.limits`: Telegram's flood limits as token buckets, which calls
  count, which are safe to repeat;
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
- :mod:`telegrambot.core.lograte`: one log line per cause per interval;
- :mod:`telegrambot.core.bounded`: a dict and a set that keep their newest entries.
"""

__all__ = ["bounded", "defaults", "groupcommit", "http", "limits", "lograte", "ordering", "records",
           "webhook_rules"]
