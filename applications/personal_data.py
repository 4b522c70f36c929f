"""What apps above ``applications`` hold about a person, handed down without an import.

A person's data export (``selectors.personal_data.personal_data_for``) and the retention job
(``services.personal_data_anonymise_expired``) live here in ``applications``, but a reviewer's
panel seats, declarations and reviews are ``reviews``' tables, and ``applications`` may not
import ``reviews`` (the import line). So ``reviews`` registers its part at start-up
(``ReviewsConfig.ready``) and ``applications`` calls whatever is registered, knowing nothing of
the tables behind it. One small mechanism serves the page, the download and the job; the
alternative, ``apps.get_model("reviews", ...)`` here, would hide the same dependency and spread
knowledge of ``reviews``' fields into this app.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PersonalDataPart:
    """One app's share of what the service holds about people.

    - ``key``: the key of this part in the export (``"review"``).
    - ``template``: the template of this part's section on the "My data" page; it gets the
      part's data as ``part``.
    - ``export(user) -> dict``: the person's own data, JSON-ready apart from dates, in a fixed
      number of queries; never another person's name or address.
    - ``cases_of() -> {user id: {application id, ...}}``: the cases (applications) each person
      is tied to through this app, for everyone at once; the retention job keeps a person until
      all have expired.
    - ``keeps(now) -> {user id, ...}``: people this app still needs whatever their cases (a
      seat on the panel of a call not yet finished).
    - ``anonymise(*, user, old_email, at)``: replace or remove this app's copies of the person's
      data (the user row itself is anonymised by ``applications``); run inside the job's
      transaction.
    """

    key: str
    template: str
    export: Callable[..., dict]
    cases_of: Callable[[], dict[int, set[int]]]
    keeps: Callable[[datetime], set[int]]
    anonymise: Callable[..., None]


_parts: dict[str, PersonalDataPart] = {}


def register(part: PersonalDataPart) -> None:
    """Register (or replace, when ``ready()`` runs again in tests) an app's part."""
    _parts[part.key] = part


def parts() -> tuple[PersonalDataPart, ...]:
    return tuple(_parts[key] for key in sorted(_parts))
