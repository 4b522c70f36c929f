"""The applications app's views, one module per feature."""


def posted_pk(value: str | None) -> int | None:
    """A primary key from a posted field, or None (which matches no row) for anything else.

    ``str.isdigit`` alone lets through "²" and "١٢" and numbers too big for the database, which
    would reach the query and answer 500 instead of 404.
    """
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None
