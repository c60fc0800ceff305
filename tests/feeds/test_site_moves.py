"""A blog that moves or changes its summary length: what its stored posts become (the pure
rules; tests/feeds/store/test_store_site_moves.py has the store doing it on both engines)."""

from __future__ import annotations

from feeds.content import summary_from_html
from feeds.site_moves import link_moves, moved, rederived_summary


def test_links_under_the_old_address_move_to_the_same_place_under_the_new_one() -> None:
    moves = link_moves("https://old.example", "https://new.example/blog")
    html = ('<a href="https://old.example/2026/11/pic.png">x</a>'
            '<a href="https://old.example">home</a>'
            '<img srcset="https://old.example/a.png 1x, https://old.example/b.png 2x">')
    assert moved(html, moves) == (
        '<a href="https://new.example/blog/2026/11/pic.png">x</a>'
        '<a href="https://new.example/blog">home</a>'
        '<img srcset="https://new.example/blog/a.png 1x, https://new.example/blog/b.png 2x">')


def test_links_elsewhere_stay_even_on_a_host_whose_name_starts_alike() -> None:
    moves = link_moves("https://blog.example", "https://new.example")
    html = ('<a href="https://blog.example.com/x">a</a><a href="http://blog.example/y">b</a>'
            '<a href="https://other.example/?u=blog.example/z">c</a>')
    assert moved(html, moves) == html


def test_a_blog_at_a_path_moves_without_the_rest_of_its_old_host() -> None:
    moves = link_moves("https://example.com/blog/", "https://blog.example.net")
    html = ('<a href="https://example.com/blog/2026/01/a.html">post</a>'
            '<a href="https://example.com/shop/">shop</a>'
            '<a href="https://example.com/blogroll">roll</a>')
    assert moved(html, moves) == (
        '<a href="https://blog.example.net/2026/01/a.html">post</a>'
        '<a href="https://example.com/shop/">shop</a>'
        '<a href="https://example.com/blogroll">roll</a>')


def test_the_same_address_written_with_or_without_its_slash_is_no_move() -> None:
    assert link_moves("https://a.example/", "https://a.example") == ()


def test_a_summary_the_blog_made_follows_the_new_length_and_one_the_author_wrote_stays(
) -> None:
    content = "<p>" + " ".join(f"word{i}" for i in range(100)) + "</p>"
    made = summary_from_html(content, 50)
    assert rederived_summary(content, made, 50, 120) == summary_from_html(content, 120)
    assert rederived_summary(content, "My own words.", 50, 120) is None
    short = "<p>Short.</p>"
    assert rederived_summary(short, "Short.", 50, 120) is None  # the same either way
