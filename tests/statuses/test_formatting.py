"""Golden HTML for local text, as Mastodon's TextFormatter renders it."""

from __future__ import annotations

import pytest

from statuses.formatting import (
    extract_hashtags,
    format_bio,
    format_text,
    mention_keys,
    normalize_hashtag,
    sanitize_html,
)
from tests.factories.accounts import AccountFactory, RemoteAccountFactory

BASE = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _local_domain(settings):
    settings.LOCAL_DOMAIN = "localhost:8000"
    settings.LOCAL_SCHEME = "http"


def test_plain_text_is_one_paragraph():
    assert format_text("Hello world") == "<p>Hello world</p>"


def test_blank_text_renders_nothing():
    assert format_text("  \n ") == ""


def test_blank_lines_split_paragraphs_and_single_newlines_break():
    assert format_text("one\ntwo\n\nthree\n\n\nfour") == (
        "<p>one<br />two</p><p>three</p><p>four</p>"
    )


def test_crlf_counts_as_a_newline():
    assert format_text("a\r\nb\r\n\r\nc") == "<p>a<br />b</p><p>c</p>"


def test_text_is_escaped():
    assert format_text("1 < 2 & 3 > 2") == "<p>1 &lt; 2 &amp; 3 &gt; 2</p>"


def test_script_tags_are_text_not_markup():
    html = format_text('<script>alert("x")</script><img src=x onerror=alert(1)>')
    assert "<script" not in html
    assert "<img" not in html
    assert html == (
        '<p>&lt;script&gt;alert("x")&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;</p>'
    )


def test_a_quote_ends_a_url_so_no_attribute_can_be_injected():
    assert format_text('https://example.com/"onmouseover="alert(1)') == (
        '<p><a href="https://example.com/" target="_blank" rel="nofollow noopener" '
        'translate="no"><span class="invisible">https://</span><span class="">example.com/'
        '</span><span class="invisible"></span></a>"onmouseover="alert(1)</p>'
    )


def test_html_typed_in_a_status_is_shown_not_interpreted():
    assert format_text('<a href="javascript:x">x</a> <b>b</b>') == (
        '<p>&lt;a href="javascript:x"&gt;x&lt;/a&gt; &lt;b&gt;b&lt;/b&gt;</p>'
    )


def test_javascript_urls_are_not_linked():
    assert format_text("javascript:alert(1)") == "<p>javascript:alert(1)</p>"


def test_short_url():
    assert format_text("see https://example.com/a") == (
        '<p>see <a href="https://example.com/a" target="_blank" rel="nofollow noopener" '
        'translate="no"><span class="invisible">https://</span><span class="">example.com/a'
        '</span><span class="invisible"></span></a></p>'
    )


def test_long_url_is_cut_after_30_characters_with_www_hidden():
    url = "https://www.example.com/a/very/long/path/that/goes/on?q=1&r=2"
    assert format_text(url) == (
        '<p><a href="https://www.example.com/a/very/long/path/that/goes/on?q=1&amp;r=2" '
        'target="_blank" rel="nofollow noopener" translate="no">'
        '<span class="invisible">https://www.</span>'
        '<span class="ellipsis">example.com/a/very/long/path/t</span>'
        '<span class="invisible">hat/goes/on?q=1&amp;r=2</span></a></p>'
    )


def test_trailing_punctuation_and_unbalanced_parenthesis_stay_outside_the_link():
    html = format_text("(see https://example.com/x).")
    assert 'href="https://example.com/x"' in html
    assert html.endswith("</a>).</p>")


def test_balanced_parentheses_stay_in_the_link():
    html = format_text("https://en.wikipedia.org/wiki/Foo_(bar)")
    assert 'href="https://en.wikipedia.org/wiki/Foo_(bar)"' in html


def test_hashtags():
    assert format_text("#Hello world #日本") == (
        f'<p><a href="{BASE}/tags/Hello" class="mention hashtag" rel="tag">#<span>Hello</span>'
        f'</a> world <a href="{BASE}/tags/%E6%97%A5%E6%9C%AC" class="mention hashtag" '
        'rel="tag">#<span>日本</span></a></p>'
    )


def test_not_hashtags_inside_words_urls_or_numbers():
    assert extract_hashtags("a#b https://example.com/#anchor #123 #1a") == ["1a"]


def test_hashtags_are_extracted_once_per_normalised_name():
    assert extract_hashtags("#Cats #cats #CATS #dogs") == ["Cats", "dogs"]


def test_hashtag_normalisation_folds_case_width_and_accents():
    assert normalize_hashtag("\uff23af\u00e9") == "cafe"


@pytest.mark.django_db
def test_local_mention_shows_the_username():
    bob = AccountFactory(username="bob")
    html = format_text("hi @bob!", accounts={("bob", None): bob})
    assert html == (
        f'<p>hi <span class="h-card" translate="no"><a href="{BASE}/@bob" '
        'class="u-url mention">@<span>bob</span></a></span>!</p>'
    )


@pytest.mark.django_db
def test_remote_mention_with_a_port_links_to_the_remote_profile():
    bob = RemoteAccountFactory(
        username="bob", domain="localhost:8001", url="http://localhost:8001/@bob"
    )
    html = format_text("@bob@localhost:8001 hi", accounts={("bob", "localhost:8001"): bob})
    assert html == (
        '<p><span class="h-card" translate="no"><a href="http://localhost:8001/@bob" '
        'class="u-url mention">@<span>bob</span></a></span> hi</p>'
    )


@pytest.mark.django_db
def test_same_username_on_two_domains_shows_the_domains():
    here = AccountFactory(username="bob")
    there = RemoteAccountFactory(username="bob", domain="remote.example")
    html = format_text(
        "@bob @bob@remote.example",
        accounts={("bob", None): here, ("bob", "remote.example"): there},
    )
    assert "@<span>bob</span>" in html
    assert "@<span>bob@remote.example</span>" in html


def test_unknown_mentions_stay_plain_text():
    assert format_text("hi @nobody and @x@nowhere.example") == (
        "<p>hi @nobody and @x@nowhere.example</p>"
    )


def test_our_own_domain_in_a_mention_means_a_local_account():
    assert mention_keys("@Bob@localhost:8000 @bob @eve@Remote.Example:8001") == [
        ("bob", None),
        ("eve", "remote.example:8001"),
    ]


def test_emails_are_not_mentions():
    assert mention_keys("mail alice@example.com") == []


@pytest.mark.django_db
def test_bio_links_known_accounts():
    AccountFactory(username="carol")
    html = format_bio("Friend of @carol\nand #cats")
    assert 'class="u-url mention">@<span>carol</span>' in html
    assert "<br />" in html
    assert 'class="mention hashtag"' in html


def test_sanitize_keeps_mastodon_markup():
    html = (
        '<p>Hi <span class="h-card"><a href="https://r.example/@a" class="u-url mention">'
        "@<span>a</span></a></span> <b>bold</b><br>line</p>"
    )
    assert sanitize_html(html) == (
        '<p>Hi <span class="h-card"><a href="https://r.example/@a" class="u-url mention" '
        'target="_blank" rel="nofollow noopener">@<span>a</span></a></span> <b>bold</b>'
        "<br>line</p>"
    )


def test_sanitize_drops_scripts_handlers_and_unknown_classes():
    html = sanitize_html(
        '<p class="evil">x<script>alert(1)</script><img src=x onerror=alert(1)>'
        '<a href="https://x.example" onclick="steal()" class="mention evil">y</a>'
        '<span style="color:red" translate="yes">z</span></p><iframe src="https://x"></iframe>'
    )
    assert html == (
        '<p class="">x<a href="https://x.example" class="mention" target="_blank" '
        'rel="nofollow noopener">y</a><span>z</span></p>'
    )


def test_sanitize_unlinks_javascript_and_relative_links():
    assert sanitize_html('<p><a href="javascript:alert(1)">a</a> <a href="/x">b</a></p>') == (
        "<p>a b</p>"
    )


def test_sanitize_turns_headings_into_bold_paragraphs():
    assert sanitize_html("<h1>Title</h1><p>x</p>") == "<p><strong>Title</strong></p><p>x</p>"
