from django import template

from applications.selectors import format_kronor

register = template.Library()


@register.filter
def kronor(value) -> str:
    """Whole kronor in Swedish format: ``600000`` → ``600 000 kr``; empty stays empty."""
    if value in (None, ""):
        return ""
    return f"{format_kronor(int(value))}\u00a0kr"
