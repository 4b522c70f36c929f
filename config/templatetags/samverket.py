from decimal import Decimal

from django import template

from applications.enums import BudgetCategory
from applications.formatting import format_kronor
from applications.selectors.application_form import form_definition
from config.markdown import render_markdown
from grants.enums import OrganisationKind

register = template.Library()


@register.filter
def kronor(value) -> str:
    """Whole kronor in Swedish format: ``600000`` → ``600 000 kr``; empty stays empty."""
    if value in (None, ""):
        return ""
    return f"{format_kronor(int(value))}\u00a0kr"


@register.filter
def budget_category(value, call=None) -> str:
    """The label of a budget category key in ``call``'s categories (``hub`` → its label); a key
    the call does not have is shown as itself. Without a call, the standard categories."""
    if call is not None:
        return form_definition(call).category_label(value)
    return str(BudgetCategory(value).label) if value in BudgetCategory.values else value


@register.filter
def organisation_kind(value) -> str:
    """The label of an organisation kind code (``municipality`` → its label)."""
    return str(OrganisationKind(value).label) if value in OrganisationKind.values else value


@register.filter
def score(value) -> str:
    """A score with two decimals and a decimal comma, as Swedish writes it: ``5.25`` → ``5,25``;
    empty stays empty. Called thousands of times on the ranking page, so kept lean."""
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        if value == "":
            return ""
        value = Decimal(value)
    return f"{value:.2f}".replace(".", ",").replace("-", "\u2212")


@register.filter(is_safe=True)
def page_title(value) -> str:
    """A page's own title followed by the site's name; the site's name alone when it has none."""
    text = " ".join(str(value).split())
    return f"{text} – Samverket Grants" if text else "Samverket Grants"


@register.filter(is_safe=True)
def markdown(value) -> str:
    """A call text written in Markdown, as cleaned HTML (``config.markdown.render_markdown``)."""
    return render_markdown(str(value or ""))


@register.filter(is_safe=True)
def markdown_page(value) -> str:
    """A text that is a page's whole content (the institutional pages): as ``markdown``, but
    its "##" sections are the page's <h2>s."""
    return render_markdown(str(value or ""), whole_page=True)
