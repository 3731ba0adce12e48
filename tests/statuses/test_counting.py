"""Counting as Mastodon counts: URLs are 23, remote mentions are their @username."""

from __future__ import annotations

from statuses.counting import grapheme_length, status_length


def test_a_url_counts_23_however_long():
    assert status_length("https://example.com/" + "a" * 200) == 23
    assert status_length("x https://e.co") == 2 + 23


def test_a_remote_mention_counts_only_its_username():
    assert status_length("@bob@some.very.long.domain.example") == len("@bob")
    assert status_length("@bob@localhost:8001 hi") == len("@bob hi")


def test_the_content_warning_counts_too():
    assert status_length("abc", "warning") == 10


def test_emoji_sequences_count_as_one_character():
    assert grapheme_length("👍🏽") == 1
    assert grapheme_length("👨‍👩‍👧") == 1
    assert grapheme_length("🇫🇷🇩🇪") == 2
    assert grapheme_length("e\u0301") == 1  # e + combining acute
    assert grapheme_length("\r\n") == 1
