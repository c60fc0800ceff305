"""What making a WordPress post's content costs, in process: `wp_content.render` over the
benchmark's generated posts (bench/wxr_gen.py), and wpautop's quick paths against the whole
port on its classic-editor posts. Best of seven, us a post.

    .venv/bin/python -m bench.wp_render
    # older code: copy this file into a checkout of it, run there with PYTHONPATH=.
    # (code without wpautop.py prints the render figure only)
"""

from __future__ import annotations

import random
import timeit
from collections.abc import Callable

from bench.wxr_gen import _content, _paragraph
from feeds.imports import wp_content


def _best(run: Callable[[], object], count: int) -> float:
    return min(timeit.repeat(run, number=1, repeat=7)) / count * 1e6


def main() -> None:
    rng = random.Random(1)
    pool = [_paragraph(rng) for _ in range(200)]
    posts = [_content(rng, pool, i) for i in range(300)]
    render = _best(lambda: [wp_content.render(p, "1", {}) for p in posts], len(posts))
    print(f"render: {render:.1f} us a post ({len(posts)} posts)")
    try:
        from feeds.imports import wpautop
    except ImportError:
        return
    classic = [p for p in posts if "<!-- wp:" not in p]
    quick = _best(lambda: [wpautop.autop(p) for p in classic], len(classic))
    whole = _best(lambda: [wpautop._full(p) for p in classic], len(classic))
    print(f"wpautop on {len(classic)} classic posts: {quick:.1f} us with its quick paths,"
          f" {whole:.1f} us the whole port")


if __name__ == "__main__":
    main()
