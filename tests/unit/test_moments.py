"""Moments: the token a command writes, and how each platform's renderer draws it (Discord's `<t:…>`, Slack's
`<!date^…>`, the console's written-out time with the zone named), in every part of a reply."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bots.console.render import render as console_render
from bots.discord.render import render as discord_render
from bots.discord.render import timestamp
from bots.slack.render import date_markup, mrkdwn
from bots.slack.render import render as slack_render
from commands.moments import STYLES, Moment, fallback, localize, moment, parse, rewrite, written
from commands.replies import Button, Card, Field, Image, Reply

# Tuesday 8 December 2026, 15:00 UTC: 20:00 in Karachi (UTC+5, no DST), 10:00 in New York (EST).
AT = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
UNIX = int(AT.timestamp())
KARACHI = "Asia/Karachi"


@pytest.mark.parametrize(("style", "text"), [
    ("t", "20:00 Asia/Karachi"),
    ("T", "20:00:00 Asia/Karachi"),
    ("d", "Tue 8 Dec 2026 (Asia/Karachi)"),
    ("D", "Tuesday 8 December 2026 (Asia/Karachi)"),
    ("f", "Tue 8 Dec, 20:00 Asia/Karachi"),
    ("F", "Tuesday 8 December, 20:00 Asia/Karachi"),
    ("R", "Tue 8 Dec, 20:00 Asia/Karachi"),  # no `now` to be relative to: written as an absolute time
])
def test_the_token_carries_the_instant_the_style_and_the_time_written_in_the_zone(style, text) -> None:
    assert moment(AT, KARACHI, style) == f"<t:{UNIX}:{style}|{text}>"
    assert parse(moment(AT, KARACHI, style)) == Moment(UNIX, style, text)


def test_the_fallback_follows_the_zone_and_its_daylight_saving() -> None:
    assert written(AT, "America/New_York", "t") == "10:00 America/New_York"  # EST in December
    assert written(AT - timedelta(days=180), "America/New_York", "t") == "11:00 America/New_York"  # EDT in June
    assert written(AT, "UTC", "f") == "Tue 8 Dec, 15:00 UTC"
    # the same instant whatever offset it was given in
    assert moment(AT.astimezone(timezone(timedelta(hours=-3))), KARACHI) == moment(AT, KARACHI)


def test_a_naive_datetime_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="aware"):
        moment(datetime(2026, 12, 8, 15, 0), KARACHI)


def test_every_style_has_a_slack_format() -> None:
    for style in STYLES:
        assert date_markup(Moment(UNIX, style, "x")).startswith(f"<!date^{UNIX}^{{")


def test_text_without_tokens_is_returned_as_it_is() -> None:
    text = "no <times> here, <t:12:x|not a style>, <t:oops|x>"
    assert rewrite(text, timestamp) == text
    assert parse("<t:12:f|x> and more") is None and parse("plain") is None


# ------------------------------------------------------------------------------------------------- the three rewrites


def test_discord_draws_its_own_timestamp_in_each_readers_zone() -> None:
    text = f"Revealed at **{moment(AT, KARACHI, 't')}**, changes until {moment(AT, KARACHI, 'T')}."
    assert rewrite(text, timestamp) == f"Revealed at **<t:{UNIX}:t>**, changes until <t:{UNIX}:T>."


def test_slack_draws_its_date_token_and_escaping_cannot_mangle_it() -> None:
    text = f"Q&A <b> at **{moment(AT, KARACHI, 'F')}** & {moment(AT, KARACHI, 't')} <!channel>"
    drawn = mrkdwn(text)
    long = f"<!date^{UNIX}^{{date_long_pretty}} {{time}}|Tuesday 8 December, 20:00 Asia/Karachi>"
    assert drawn == (f"Q&amp;A &lt;b&gt; at *{long}* &amp; <!date^{UNIX}^{{time}}|20:00 Asia/Karachi> &lt;!channel&gt;")
    # a fallback is escaped like any text; a Slack date typed by someone (with a link) is not ours and stays text
    assert date_markup(Moment(UNIX, "t", "a & b")).endswith("|a &amp; b>")
    forged = mrkdwn("<!date^0^{date}^https://evil.example|click>")
    assert "<!date" not in forged and "&lt;!date" in forged


def test_the_console_writes_the_time_out_with_the_zone_named() -> None:
    assert rewrite(f"at {moment(AT, KARACHI, 'f')}.", fallback) == "at Tue 8 Dec, 20:00 Asia/Karachi."


# ------------------------------------------------------------------------------------- every part of a reply, once


def reply_with_moments() -> Reply:
    m = moment(AT, KARACHI, "f")
    card = Card(title=f"Session {m}", body=f"Starts {m}", fields=(Field(f"When {m}", f"At {m}"),), footer=f"Recap {m}")
    return Reply(text=f"Reveal {m}", cards=(card,), buttons=(Button(f"Remind me {m}", "lab.remind"),),
                 image=Image(b"\x89PNG", alt=f"Heatmap to {m}"))


def test_localize_uses_the_marked_writer_where_markup_renders_and_the_fallback_where_text_shows_as_typed() -> None:
    done = localize(reply_with_moments(), timestamp)
    card = done.cards[0]
    native, written_out = f"<t:{UNIX}:f>", "Tue 8 Dec, 20:00 Asia/Karachi"
    assert (done.text, card.body, card.fields[0].value) == (f"Reveal {native}", f"Starts {native}", f"At {native}")
    assert (card.title, card.fields[0].name, card.footer) == (f"Session {written_out}", f"When {written_out}", f"Recap {written_out}")
    assert done.buttons[0].label == f"Remind me {written_out}" and done.buttons[0].custom_id == "rounds:lab.remind"
    assert done.image is not None and done.image.alt == f"Heatmap to {written_out}"


async def test_the_discord_renderer_rewrites_every_part_and_the_token_survives_the_no_pings_rule() -> None:
    rendered = discord_render(reply_with_moments())
    native, written_out = f"<t:{UNIX}:f>", "Tue 8 Dec, 20:00 Asia/Karachi"
    assert rendered.content == f"Reveal {native}"
    embed = rendered.embeds[0].to_dict()
    assert embed["description"] == f"Starts {native}" and embed["fields"][0]["value"] == f"At {native}"
    assert written_out in embed["title"] and written_out in embed["fields"][0]["name"] and written_out in embed["footer"]["text"]
    assert rendered.view is not None and [item.label for item in rendered.view.children] == [f"Remind me {written_out}"]  # type: ignore[attr-defined]
    assert rendered.mentions.to_dict() == {"parse": []}  # nothing pings, and the timestamp is no mention


def test_the_slack_renderer_draws_dates_in_mrkdwn_and_writes_them_out_in_plain_text() -> None:
    message = slack_render(reply_with_moments())
    slack_date = f"<!date^{UNIX}^{{date_short_pretty}} {{time}}|Tue 8 Dec, 20:00 Asia/Karachi>"
    written_out = "Tue 8 Dec, 20:00 Asia/Karachi"
    by_type = {block["type"]: block for block in message.blocks}
    assert message.blocks[0]["text"]["text"] == f"Reveal {slack_date}"
    assert by_type["header"]["text"]["text"] == f"Session {written_out}"  # plain_text: Slack draws no date there
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section" and "text" in b]
    assert f"Starts {slack_date}" in sections
    assert [b["text"]["text"] for b in by_type["actions"]["elements"]] == [f"Remind me {written_out}"]
    assert slack_date in message.text  # the notification text is mrkdwn too
    assert "<t:" not in str(message.blocks) and "<t:" not in message.text


def test_the_console_renderer_shows_only_written_out_times(tmp_path) -> None:
    shown = console_render(reply_with_moments(), directory=tmp_path)
    # text, title, body, field name and value, footer, the image's alt text, the button
    assert "<t:" not in shown and shown.count("Tue 8 Dec, 20:00 Asia/Karachi") == 8
