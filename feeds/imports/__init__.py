"""Moving a blog in: parsers that turn an export (Blogger, WordPress WXR, any feed) into a
stream of import items (items.py), and the applier that stores them idempotently in batches
(apply.py). Parsers are pure: bytes in, items out, no store and no clock."""
