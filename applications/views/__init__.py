"""The applications app's views, one module per feature."""


def posted_pk(value: str | None) -> int | None:
    """A primary key from a posted field, or None (which matches no row) for anything else.

    ``str.isdigit`` alone lets through "²" and "١٢" and numbers too big for the database, which
    would reach the query and answer 500 instead of 404.
    """
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def posted_version(value: str | None) -> int:
    """The ``edit_version`` a posted form was read at; -1 (stale, never stored) when missing
    or not a number, so a post without it is refused rather than written over a newer save."""
    number = posted_pk(value)
    return -1 if number is None else number
