"""The Bot API method reference of the docs, generated from the code at build time.

For every method of :class:`telegrambot.Bot`: its Python signature (``inspect``), the Bot
API facts the package ships (``telegrambot/botapi.json``: each parameter's types, whether it
is deprecated) and the method table (``telegrambot._methods.METHODS``: alias, return
types). Each parameter gets a one-line meaning written here, in this project's words: per
parameter name (:data:`GLOSSARY`, with a few per-method entries in :data:`BY_METHOD`), or
built from the name's shape (:func:`meaning`). The schema holds no descriptions; the
official documentation of each method is one link away.

``rows(name)`` and ``meaning(method, param)`` need no Sphinx, so tests can check that every
parameter of every method has its line and that the glossary names no parameter that is
gone.
"""

import inspect
import json
import os
import re
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

API_DOCS = "https://core.telegram.org/bots/api#"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Parameters every method takes, explained once on the page, not in each table.
COMMON = ("api_kwargs", "request_timeout")

#: One line per parameter name, valid in every method that has it.
GLOSSARY: Dict[str, str] = {
    # where a message goes, and how it is sent
    "chat_id": "Target chat: its id, or ``@username`` for a public group or channel.",
    "user_id": "The user's id.",
    "message_id": "Id of the message in the chat.",
    "message_ids": "Ids of the messages in the chat.",
    "inline_message_id": "Id of a message sent through inline mode (in place of chat and message ids).",
    "from_chat_id": "Chat the message comes from: its id or ``@username``.",
    "business_connection_id": "Business connection to act on behalf of.",
    "message_thread_id": "Forum topic (or thread) of the chat to post in.",
    "direct_messages_topic_id": "Topic of a channel's direct messages chat to post in.",
    "sender_chat_id": "Id of the channel or group that sends as itself.",
    "disable_notification": "Deliver silently: no sound for the recipients.",
    "protect_content": "Forbid forwarding and saving the message's content.",
    "allow_paid_broadcast": "Send beyond the free broadcast limit, paying in Stars.",
    "message_effect_id": "Effect (animation) to show with the message; private chats only.",
    "reply_parameters": "The message to reply to, and how (a ReplyParameters object).",
    "reply_to_message_id": "Id of the message to reply to (older form of ``reply_parameters``).",
    "allow_sending_without_reply": "Send even if the replied-to message is gone (older form of "
                                   "``reply_parameters``).",
    "reply_markup": "Keyboard to attach: inline buttons, a custom reply keyboard, its removal, "
                    "or a forced reply.",
    "suggested_post_parameters": "Terms of a post suggested to a channel (price, time).",
    # text and its formatting
    "text": "The text.",
    "parse_mode": "Markup used in the text: ``HTML``, ``MarkdownV2`` or ``Markdown``.",
    "entities": "Formatting as a list of MessageEntity, in place of ``parse_mode``.",
    "caption": "Caption of the media.",
    "caption_entities": "Formatting of the caption as a list of MessageEntity, in place of "
                        "``parse_mode``.",
    "show_caption_above_media": "Show the caption above the media instead of below.",
    "link_preview_options": "How the link preview is made and shown (a LinkPreviewOptions "
                            "object).",
    "disable_web_page_preview": "No link preview (older form of ``link_preview_options``).",
    # media
    "photo": "The photo: a file to upload, a file_id, or an HTTP URL.",
    "audio": "The audio file: a file to upload, a file_id, or an HTTP URL.",
    "document": "The file: a file to upload, a file_id, or an HTTP URL.",
    "video": "The video: a file to upload, a file_id, or an HTTP URL.",
    "animation": "The animation (GIF or silent video): a file to upload, a file_id, or an "
                 "HTTP URL.",
    "voice": "The voice message (OGG/Opus, MP3 or M4A): a file to upload, a file_id, or an "
             "HTTP URL.",
    "video_note": "The round video message: a file to upload or a file_id.",
    "sticker": "The sticker: a file to upload, a file_id, or an HTTP URL.",
    "thumbnail": "Small preview image (JPEG, at most 320 px a side) to upload.",
    "cover": "Cover image of the video: a file to upload, a file_id, or an HTTP URL.",
    "media": "The media to send or put in place.",
    "has_spoiler": "Hide the media under a spoiler animation.",
    "duration": "Length in seconds.",
    "width": "Width in pixels.",
    "height": "Height in pixels.",
    "length": "Diameter of the round video, in pixels.",
    "performer": "Performer of the audio.",
    "title": "Title.",
    "supports_streaming": "The video may be played while it downloads.",
    "start_timestamp": "Where the video starts playing, in seconds.",
    "video_start_timestamp": "New start position of the video, in seconds.",
    "disable_content_type_detection": "Keep an uploaded file a document: no detection of "
                                      "its type.",
    "file_id": "Id of the file.",
    "remove_caption": "Copy the messages without their captions.",
    # location, venue, contact
    "latitude": "Latitude in degrees.",
    "longitude": "Longitude in degrees.",
    "horizontal_accuracy": "Radius of uncertainty of the location, in meters.",
    "live_period": "How long the live location is updated, in seconds.",
    "heading": "Direction of movement, in degrees (1-360).",
    "proximity_alert_radius": "Distance in meters at which to alert about another chat "
                              "member approaching.",
    "address": "Address of the venue.",
    "foursquare_id": "Foursquare id of the venue.",
    "foursquare_type": "Foursquare type of the venue.",
    "google_place_id": "Google Places id of the venue.",
    "google_place_type": "Google Places type of the venue.",
    "phone_number": "Phone number of the contact.",
    "first_name": "First name.",
    "last_name": "Last name.",
    "vcard": "More about the contact, as a vCard.",
    # polls, dice, reactions, actions
    "question": "The poll's question.",
    "options": "The poll's answer options.",
    "is_anonymous": "Keep the identity hidden.",
    "type": "Kind of poll: ``regular`` or ``quiz``.",
    "allows_multiple_answers": "Voters may pick several options.",
    "correct_option_id": "Index of the right answer of a quiz (older single-answer form).",
    "correct_option_ids": "Indexes of the right answers of a quiz.",
    "explanation": "Text shown when a quiz answer is wrong.",
    "open_period": "How long the poll stays open after it is sent, in seconds.",
    "close_date": "When the poll closes, as a Unix time.",
    "is_closed": "Send the poll already closed.",
    "emoji": "Emoji of the sticker or dice.",
    "action": "What the bot shows it is doing: ``typing``, ``upload_photo``, ...",
    "reaction": "The reactions to set (an empty list removes them).",
    "is_big": "Show the reaction with a big animation.",
    "checklist": "The checklist.",
    "allows_revoting": "Voters may change their vote.",
    "allow_adding_options": "Voters may add options.",
    "hide_results_until_closes": "Hide the results until the poll closes.",
    "draft_id": "Id of the draft.",
    "ephemeral_message_id": "Id of the ephemeral message.",
    "chat_join_request_query_id": "Id of the chat join request query.",
    "guest_query_id": "Id of the guest query.",
    "web_app_url": "URL of the Web App to open.",
    # chat administration
    "until_date": "When the restriction ends, as a Unix time (none: forever).",
    "revoke_messages": "Also delete the user's messages in the chat.",
    "only_if_banned": "Do nothing unless the user is banned.",
    "permissions": "What members may do (a ChatPermissions object).",
    "use_independent_chat_permissions": "Apply each permission as given, without implying "
                                        "others.",
    "custom_title": "Title shown for the administrator.",
    "tag": "Tag of the chat member.",
    "invite_link": "The invite link to act on.",
    "expire_date": "When the link stops working, as a Unix time.",
    "member_limit": "How many users may join through the link (1-99999).",
    "creates_join_request": "Joining through the link needs an administrator's approval.",
    "subscription_period": "Length of one subscription period, in seconds.",
    "subscription_price": "Price of one subscription period, in Stars.",
    "description": "Description.",
    "sticker_set_name": "Name of the sticker set.",
    "icon_color": "Color of the topic icon, as an RGB integer.",
    "icon_custom_emoji_id": "Custom emoji shown as the topic icon.",
    "return_bots": "Also list bots among the administrators.",
    # bot settings
    "commands": "The bot's commands (a list of BotCommand).",
    "scope": "Users and chats the commands apply to (a BotCommandScope).",
    "language_code": "Two-letter ISO 639-1 language code; none: for every language without "
                     "its own.",
    "short_description": "The bot's short description.",
    "menu_button": "The bot's menu button.",
    "rights": "Administrator rights to suggest (a ChatAdministratorRights object).",
    "for_channels": "For channels instead of groups.",
    # updates and webhooks
    "offset": "Where the list starts.",
    "limit": "How many items to return at most.",
    "timeout": "Seconds to wait for updates (long polling); 0 answers at once.",
    "allowed_updates": "Update types to receive (a list of names); none: as before.",
    "url": "The URL.",
    "certificate": "Public key certificate to upload, for a self-signed certificate.",
    "ip_address": "IP address to send to instead of the one DNS gives.",
    "max_connections": "Most simultaneous connections for delivering updates (1-100).",
    "drop_pending_updates": "Drop the updates waiting to be delivered.",
    "secret_token": "Token Telegram sends back in the X-Telegram-Bot-Api-Secret-Token header.",
    # queries and their answers
    "callback_query_id": "Id of the callback query.",
    "show_alert": "Show an alert the user must close, not a passing notification.",
    "cache_time": "Seconds the client may cache the answer.",
    "inline_query_id": "Id of the inline query.",
    "results": "The results to show (a list of InlineQueryResult).",
    "is_personal": "The results hold for this user only (cache per user).",
    "next_offset": "Offset the client sends to get more results (empty: no more).",
    "switch_pm_text": "Text of a button that opens a private chat with the bot (older form "
                      "of ``button``).",
    "switch_pm_parameter": "Start parameter for that button (older form of ``button``).",
    "web_app_query_id": "Id of the Web App query.",
    "shipping_query_id": "Id of the shipping query.",
    "shipping_options": "Shipping options to offer.",
    "pre_checkout_query_id": "Id of the pre-checkout query.",
    "ok": "Whether the order can go ahead.",
    "error_message": "Why the order cannot go ahead, shown to the user.",
    # payments and Stars
    "payload": "Bot-defined data, not shown to the user.",
    "provider_token": "Payment provider token (empty for payments in Stars).",
    "currency": "Three-letter ISO 4217 currency code, ``XTR`` for Stars.",
    "prices": "Price breakdown (a list of LabeledPrice).",
    "max_tip_amount": "Largest tip accepted, in the smallest units of the currency.",
    "suggested_tip_amounts": "Tip amounts to suggest, in the smallest units of the currency.",
    "start_parameter": "Deep-link parameter for forwarded copies of the invoice.",
    "provider_data": "Data for the payment provider, as JSON.",
    "photo_url": "URL of the product photo.",
    "photo_size": "Size of the product photo, in bytes.",
    "photo_width": "Width of the product photo.",
    "photo_height": "Height of the product photo.",
    "is_flexible": "The price depends on the shipping method.",
    "telegram_payment_charge_id": "Telegram's id of the payment.",
    "is_canceled": "Cancel (True) or renew (False) the subscription.",
    "star_count": "Number of Stars.",
    "errors": "The errors found in the Passport data.",
    # stickers
    "sticker_format": "Format of the sticker: ``static``, ``animated`` or ``video``.",
    "stickers": "The stickers of the set.",
    "sticker_type": "Type of the set: ``regular``, ``mask`` or ``custom_emoji``.",
    "needs_repainting": "Repaint the emoji in the color of the text where it is used.",
    "position": "New position in the set, from 0.",
    "old_sticker": "File id of the sticker to replace.",
    "emoji_list": "Emoji of the sticker.",
    "keywords": "Search keywords of the sticker.",
    "mask_position": "Where a mask goes on faces.",
    "format": "Format of the thumbnail.",
    "custom_emoji_id": "Custom emoji id.",
    "custom_emoji_ids": "Custom emoji ids.",
    # games
    "game_short_name": "Short name of the game.",
    "score": "New score.",
    "force": "Set the score even if it is lower.",
    "disable_edit_message": "Leave the game message unchanged.",
    # gifts, business accounts, stories, verification
    "gift_id": "Id of the gift.",
    "owned_gift_id": "Id of the gift owned by the account.",
    "pay_for_upgrade": "Pay for the gift's upgrade on the receiver's behalf.",
    "text_parse_mode": "Markup used in ``text``: ``HTML``, ``MarkdownV2`` or ``Markdown``.",
    "text_entities": "Formatting of ``text`` as a list of MessageEntity, in place of "
                     "``text_parse_mode``.",
    "sort_by_price": "Sort by price instead of by date.",
    "exclude_limited": "Leave out limited gifts.",
    "exclude_limited_non_upgradable": "Leave out limited gifts that cannot be upgraded.",
    "exclude_limited_upgradable": "Leave out limited gifts that can be upgraded.",
    "exclude_from_blockchain": "Leave out gifts assigned from the TON blockchain.",
    "new_owner_chat_id": "Chat that receives the gift.",
    "keep_original_details": "Keep the original sender and text.",
    "month_count": "Number of months of Telegram Premium.",
    "username": "New username.",
    "bio": "New bio.",
    "is_public": "The public photo, seen by those the main one is hidden from.",
    "show_gift_button": "Show the gift button in the chat.",
    "accepted_gift_types": "Kinds of gifts accepted.",
    "content": "Content of the story.",
    "active_period": "How long the story is shown, in seconds.",
    "areas": "Clickable areas of the story.",
    "post_to_chat_page": "Keep the story on the chat's profile page.",
    "story_id": "Id of the story.",
    "from_story_id": "Id of the story to repost.",
    "custom_description": "Description of the verification.",
    "emoji_status_custom_emoji_id": "Custom emoji of the status (none: remove it).",
    "emoji_status_expiration_date": "When the status ends, as a Unix time.",
    "comment": "Comment for the post's author.",
    "send_date": "When the post is published, as a Unix time.",
}

#: Lines for a name whose meaning depends on the method.
BY_METHOD: Dict[Tuple[str, str], str] = {
    ("getUpdates", "offset"): "Id of the first update to return; earlier ones are confirmed.",
    ("getUpdates", "limit"): "Most updates to return (1-100).",
    ("setWebhook", "url"): "HTTPS URL updates are sent to (empty: no webhook).",
    ("answerCallbackQuery", "url"): "URL the client opens (a game, or a t.me link to the bot).",
    ("answerCallbackQuery", "text"): "Notification shown to the user (at most 200 characters).",
    ("answerInlineQuery", "button"): "Button shown above the results.",
    ("sendChatAction", "action"): "What the bot shows it is doing: ``typing``, "
                                  "``upload_photo``, ``record_video``, ...",
    ("setChatTitle", "title"): "New title of the chat.",
    ("setChatDescription", "description"): "New description of the chat (none: remove it).",
    ("setChatPhoto", "photo"): "New chat photo, to upload.",
    ("sendPoll", "description"): "Description of the poll.",
    ("sendPoll", "media"): "Media shown with the poll.",
    ("sendPoll", "is_anonymous"): "Hide who voted for what.",
    ("promoteChatMember", "is_anonymous"): "Hide the administrator's presence in the chat.",
    ("sendInvoice", "title"): "Name of the product.",
    ("createInvoiceLink", "title"): "Name of the product.",
    ("sendInvoice", "description"): "Description of the product.",
    ("createInvoiceLink", "description"): "Description of the product.",
    ("sendPaidMedia", "payload"): "Bot-defined data, not shown to the user.",
    ("sendPaidMedia", "media"): "The paid media (a list of InputPaidMedia).",
    ("sendPaidMedia", "star_count"): "Stars to pay to see the media.",
    ("sendMediaGroup", "media"): "The photos, videos, documents or audio files of the album "
                                 "(2-10).",
    ("editMessageMedia", "media"): "The new media of the message.",
    ("sendAudio", "title"): "Track name.",
    ("sendVenue", "title"): "Name of the venue.",
    ("createNewStickerSet", "title"): "Title of the set.",
    ("createNewStickerSet", "name"): "Short name of the set, used in t.me/addstickers/ links.",
    ("createForumTopic", "name"): "Name of the topic.",
    ("editForumTopic", "name"): "New name of the topic.",
    ("editGeneralForumTopic", "name"): "New name of the topic.",
    ("createChatInviteLink", "name"): "Name of the link.",
    ("editChatInviteLink", "name"): "Name of the link.",
    ("createChatSubscriptionInviteLink", "name"): "Name of the link.",
    ("editChatSubscriptionInviteLink", "name"): "Name of the link.",
    ("setMyName", "name"): "New name of the bot (none: remove it for the language).",
    ("setMyDescription", "description"): "New description of the bot (none: remove it for "
                                         "the language).",
    ("uploadStickerFile", "sticker"): "The sticker file to upload.",
    ("addStickerToSet", "sticker"): "The sticker to add.",
    ("replaceStickerInSet", "sticker"): "The new sticker.",
    ("sendDice", "emoji"): "Which animation: 🎲, 🎯, 🏀, ⚽, 🎳 or 🎰.",
    ("setStickerSetThumbnail", "thumbnail"): "The thumbnail: a file to upload, a file_id or "
                                             "an HTTP URL.",
    ("getUserProfilePhotos", "offset"): "Number of the first photo to return.",
    ("getUserProfilePhotos", "limit"): "Most photos to return (1-100).",
    ("giftPremiumSubscription", "star_count"): "Stars to pay.",
    ("transferBusinessAccountStars", "star_count"): "Stars to transfer.",
    ("upgradeGift", "star_count"): "Stars to pay for the upgrade.",
    ("transferGift", "star_count"): "Stars to pay for the transfer.",
    ("setBusinessAccountName", "first_name"): "New first name of the account.",
    ("setBusinessAccountName", "last_name"): "New last name of the account.",
    ("setBusinessAccountProfilePhoto", "photo"): "The new profile photo.",
    ("setMyProfilePhoto", "photo"): "The bot's new profile photo.",
    ("sendMessage", "text"): "Text of the message (1-4096 characters once parsed).",
    ("editMessageText", "text"): "New text of the message.",
    ("sendGift", "text"): "Text shown with the gift.",
    ("giftPremiumSubscription", "text"): "Text shown with the gift.",
    ("answerWebAppQuery", "result"): "The message to send on the user's behalf.",
    ("savePreparedInlineMessage", "result"): "The message a Mini App may then send.",
    ("setStickerSetTitle", "title"): "New title of the set.",
    ("sendSticker", "sticker"): "The sticker (WEBP, TGS or WEBM): a file to upload, a file_id, "
                                "or an HTTP URL.",
}
for _method in ("getStickerSet", "addStickerToSet", "replaceStickerInSet", "setStickerSetTitle",
                "setStickerSetThumbnail", "setCustomEmojiStickerSetThumbnail",
                "deleteStickerSet"):
    BY_METHOD[(_method, "name")] = "Name of the sticker set."
for _method in ("setStickerPositionInSet", "deleteStickerFromSet", "setStickerEmojiList",
                "setStickerKeywords", "setStickerMaskPosition"):
    BY_METHOD[(_method, "sticker")] = "File id of the sticker."

_WORD_FIXES = {"id": "id", "ids": "ids", "url": "URL", "pm": "private chat"}


def _words(name: str) -> str:
    return " ".join(_WORD_FIXES.get(w, w) for w in name.split("_"))


# Lines built from the shape of a name, in the methods whose name matches: (methods, name
# pattern, template over the name's words and the matched part).
_SHAPES: List[Tuple["re.Pattern[str]", "re.Pattern[str]", str]] = [
    (re.compile(r"promoteChatMember\Z"), re.compile(r"can_(\w+)\Z"),
     "The administrator may {0}."),
    (re.compile(r"(sendInvoice|createInvoiceLink)\Z"), re.compile(r"need_(\w+)\Z"),
     "Ask the user for their {0}."),
    (re.compile(r"(sendInvoice|createInvoiceLink)\Z"),
     re.compile(r"send_(\w+)_to_provider\Z"), "Pass the user's {0} on to the payment provider."),
    (re.compile(r"get\w*Gifts\Z"), re.compile(r"exclude_(\w+)\Z"), "Leave out {0} gifts."),
    (re.compile(r"savePreparedInlineMessage\Z"), re.compile(r"allow_(\w+)_chats\Z"),
     "The message may be sent to {0} chats."),
    (re.compile(r"\w+"), re.compile(r"(\w+)_parse_mode\Z"),
     "Markup used in ``{1}``: ``HTML``, ``MarkdownV2`` or ``Markdown``."),
    (re.compile(r"\w+"), re.compile(r"(\w+)_entities\Z"),
     "Formatting of ``{1}`` as a list of MessageEntity, in place of ``{1}_parse_mode``."),
]


def meaning(method: str, param: str) -> Tuple[str, bool]:
    """The one-line meaning of ``param`` of ``method``, and whether it was written for it
    (False: only the name's words, for a parameter this project has not described)."""
    if (method, param) in BY_METHOD:
        return BY_METHOD[(method, param)], True
    if param in GLOSSARY:
        return GLOSSARY[param], True
    for methods, pattern, template in _SHAPES:
        match = pattern.match(param)
        if match and methods.match(method):
            return template.format(_words(match.group(1)), match.group(1)), True
    words = _words(param)
    return words[:1].upper() + words[1:] + ": see the official documentation.", False


class Row(NamedTuple):
    name: str
    types: str  # Bot API types, in reST
    required: bool
    deprecated: bool
    meaning: str
    described: bool


_facts: Optional[Dict[str, Any]] = None


def facts() -> Dict[str, Any]:
    """The Bot API facts the package ships."""
    global _facts
    if _facts is None:
        with open(os.path.join(ROOT, "telegrambot", "botapi.json"), encoding="utf-8") as f:
            _facts = json.load(f)
    return _facts


def _type_text(types: List[str]) -> str:
    """Bot API types in reST, object types linked to their official anchor."""
    known = facts()["types"]

    def one(name: str) -> str:
        if name.startswith("Array of "):
            return "Array of " + one(name[len("Array of "):])
        if name in known:
            return "`%s <%s%s>`__" % (name, API_DOCS, name.lower())
        return name

    return " or ".join(one(t) for t in types)


def signature_params(method: str) -> List[inspect.Parameter]:
    """The parameters of ``Bot.<method>`` a caller passes (no self, api_kwargs, ...)."""
    from telegrambot._methods import Methods

    params = inspect.signature(getattr(Methods, method)).parameters.values()
    return [p for p in params if p.name != "self" and p.name not in COMMON]


def _renamed(method: str) -> Dict[str, str]:
    """The old parameter names ``Bot.<method>`` still takes: {old: new}."""
    import telegrambot._methods as generated

    return getattr(generated, "RENAMED_PARAMS", {}).get(method, {})


def rows(method: str) -> Iterator[Row]:
    """One row per parameter of ``Bot.<method>``, in the order of its signature."""
    api = {p["name"]: p for p in facts()["methods"][method]["params"]}
    for param in signature_params(method):
        required = param.default is inspect.Parameter.empty
        if param.name == "msg_identifier":
            yield Row(param.name, "``(chat_id, message_id)`` or ``(inline_message_id,)``",
                      required, False, "The message: in a chat, or sent through inline mode.",
                      True)
            continue
        if param.name == "progress":  # the library's own, on the methods that upload
            yield Row(param.name, "function ``(done, total)``", False, False,
                      "Called as the files' bytes are sent, from ``(0, total)`` to "
                      "``(total, total)`` (not part of the Bot API).", True)
            continue
        new_name = _renamed(method).get(param.name)
        if new_name is not None:  # an old name the method still takes
            yield Row(param.name, _type_text(api[new_name]["types"]), False, True,
                      "Old name of ``%s``, taken for it." % new_name, True)
            continue
        fact = api[param.name]
        line, described = meaning(method, param.name)
        yield Row(param.name, _type_text(fact["types"]), required,
                  bool(fact.get("deprecated")), line, described)


def signature_text(method: str) -> str:
    """``sendMessage(chat_id, text, *, ...)``: the positional parameters, then ``*, ...``
    when there are keyword-only ones."""
    params = signature_params(method)
    positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    if any(p.kind is p.KEYWORD_ONLY for p in params):
        positional += ["*", "..."]
    return "%s(%s)" % (method, ", ".join(positional))


def method_rst(method: str) -> List[str]:
    """reST lines documenting ``Bot.<method>``."""
    from telegrambot._methods import METHODS

    info = METHODS[method]
    lines = [".. py:method:: Bot.%s" % signature_text(method), ""]
    about = ["`Official documentation <%s%s>`__" % (API_DOCS, method.lower())]
    if info.alias != method:
        about.append("alias ``%s``" % info.alias)
    about.append("returns %s" % _type_text(list(info.returns)))
    lines += ["   " + " · ".join(about) + ".", ""]
    table = list(rows(method))
    if not table:
        lines += ["   No parameters.", ""]
        return lines
    lines += ["   .. list-table::", "      :header-rows: 1", "      :widths: 32 26 42",
              "      :class: telegrambot-params", "",
              "      * - parameter", "        - type", "        - meaning"]
    for row in table:
        name = ":tgparam:`%s`" % row.name
        if row.required:
            name += " **required**"
        if row.deprecated:
            name += " *deprecated*"
        lines += ["      * - " + name, "        - " + row.types, "        - " + row.meaning]
    lines.append("")
    return lines


def all_methods() -> List[str]:
    from telegrambot._methods import METHODS

    return sorted(METHODS, key=str.lower)


def setup(app: Any) -> Dict[str, Any]:
    import html

    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util.docutils import SphinxDirective

    class param_name(nodes.Inline, nodes.TextElement):
        """A parameter name that may wrap after its underscores (and nowhere else)."""

    # a module attribute, so that Sphinx can pickle the doctrees holding it (this module
    # imports docutils only here, so the tests that read the tables need no Sphinx)
    param_name.__qualname__ = "param_name"
    globals()["param_name"] = param_name

    def visit_param_name(translator: Any, node: Any) -> None:
        parts = (html.escape(part) for part in node.astext().split("_"))
        translator.body.append('<code class="docutils literal notranslate"><span class="pre">'
                               + "_<wbr>".join(parts) + "</span></code>")
        raise nodes.SkipNode

    def param_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any,
                   options: Any = None, content: Any = None) -> Any:
        return [param_name(text, text)], []

    app.add_node(param_name, html=(visit_param_name, None))
    app.add_role("tgparam", param_role)

    class MethodReference(SphinxDirective):
        """``.. telegrambot-method-reference::``: every method with every parameter."""

        def run(self) -> List[Any]:
            lines = [".. py:currentmodule:: telegrambot.bot", ""]
            for method in all_methods():
                lines += method_rst(method)
            container = nodes.container()
            self.state.nested_parse(StringList(lines, source="generated"), self.content_offset,
                                    container)
            return container.children

    app.add_directive("telegrambot-method-reference", MethodReference)
    return {"parallel_read_safe": True}
