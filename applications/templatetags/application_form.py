"""Template tags that show an application's content through its call's form definition."""

from django import template

from ..selectors.application_form import content_display, form_definition

register = template.Library()


@register.simple_tag
def content_rows(content, call):
    """``{% content_rows content call as shown %}``: the content's sections and rows
    (``selectors.application_form.content_display``)."""
    return content_display(content or {}, call)


@register.filter
def attachment_kind(key: str, call) -> str:
    """The label of the attachment question a file answers (its key when the call has none)."""
    question = form_definition(call).by_key.get(key)
    return question.label if question is not None else key
