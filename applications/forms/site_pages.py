"""The form of an institutional page's texts: two titles and two Markdown bodies."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from grants.models import SitePage

from ..validators import SingleLineTextField
from .calls import LONG_TEXT_ROWS, MARKDOWN_HELP


def _label(name: str) -> str:
    return capfirst(SitePage._meta.get_field(name).verbose_name)


class SitePageForm(forms.Form):
    title_sv = SingleLineTextField(label=_label("title_sv"), max_length=200)
    title_en = SingleLineTextField(label=_label("title_en"), max_length=200)
    body_sv = forms.CharField(
        label=_label("body_sv"),
        help_text=MARKDOWN_HELP,
        widget=forms.Textarea(attrs={"rows": LONG_TEXT_ROWS}),
    )
    body_en = forms.CharField(
        label=_label("body_en"),
        help_text=_("Markdown. Left empty, English readers see the Swedish text."),
        required=False,
        widget=forms.Textarea(attrs={"rows": LONG_TEXT_ROWS}),
    )

    def _text(self, name: str) -> str:
        # Browsers send a textarea's lines ending in CR LF; stored as LF, so saving a page
        # unchanged from the browser changes nothing.
        return self.cleaned_data[name].replace("\r\n", "\n")

    def clean_body_sv(self) -> str:
        return self._text("body_sv")

    def clean_body_en(self) -> str:
        return self._text("body_en")
