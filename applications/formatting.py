"""Plain formatting for display: kronor and the labels of stored codes."""


def format_kronor(amount: int) -> str:
    """Whole kronor with a non-breaking space between thousands: 600 000."""
    return f"{amount:,}".replace(",", "\u00a0")


def choice_label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else value
