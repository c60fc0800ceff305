"""What sanitizing a post body costs with and without embeds: `sanitize_with_image` over the
API benchmark's bodies (bench/api.py's body_pool: 2-6 KB of HTML, no embed), and over the
same bodies with a Google Map iframe, a YouTube player and an old Flash <object> after their
middle paragraph (the bodies that take feeds/players.py's post-pass). Best of --repeat runs
over the bodies, us a body: the machine's other work only ever adds time.

    .venv/bin/python -m bench.sanitize_embeds
    # older code: copy this file into a checkout of it, run there with PYTHONPATH=.,
    # alternately with this tree
"""

from __future__ import annotations

import argparse
import timeit

from bench.api import body_pool
from feeds.content import sanitize_with_image

EMBEDS = (
    '<div class="separator"><iframe src="https://www.google.com/maps/embed?pb=!1m18!1m12&amp;'
    'hl=en" width="600" height="450" style="border:0;" allowfullscreen="" loading="lazy">'
    '</iframe></div><p><iframe width="560" height="315" src="https://www.youtube.com/embed/'
    'dQw4w9WgXcQ" title="YouTube video player" frameborder="0" allowfullscreen></iframe></p>'
    '<object width="425" height="344"><param name="movie" value="/media/tour.swf"></param>'
    '<embed src="/media/tour.swf" type="application/x-shockwave-flash"></embed></object>'
)
POST_URL = "https://bench.example/2026/12/a-post.html"


def with_embeds(body: str) -> str:
    """``body`` with EMBEDS after its middle paragraph."""
    cut = body.find("</p>", len(body) // 2)
    return body if cut == -1 else body[: cut + 4] + EMBEDS + body[cut + 4 :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    plain = body_pool(50)
    embedded = [with_embeds(b) for b in plain]
    for name, bodies in (("no embed", plain), ("map, player, Flash", embedded)):
        best = min(timeit.repeat(lambda b=bodies: [sanitize_with_image(x, POST_URL) for x in b],
                                 number=1, repeat=args.repeat))
        print(f"sanitize_with_image, {name}: {best / len(bodies) * 1e6:.1f} us a body")


if __name__ == "__main__":
    main()
