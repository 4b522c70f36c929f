"""Every form of the site, fed generated input by hypothesis, as the role allowed to post it.

For each form (``FORMS`` below: its URL, the role, and its fields, read from the form class
itself) hypothesis posts the form's fields and a few random keys with values of every awkward
kind: unicode, very long text, NUL bytes, HTML, numbers as text (negative, huge, with a comma,
in other scripts), dates in odd formats, empty values, lists, and files with random bytes and
names. After each post it asserts that

- the server did not answer 5xx, and logged no error (the client does not raise, so a crash
  shows as a 500 and a log record);
- the database holds no invalid state: every row of the project's models passes
  ``full_clean()`` (fields, choices, constraints), every integer fits its column on PostgreSQL
  too (SQLite would keep 2147483648 in a ``PositiveIntegerField``), and the rules that span rows
  hold (budget
  lines add up to the amount in every submitted version, granted amounts within what was
  applied for and within the call's budget, four eyes on every confirmed decision, no reviewer
  assigned where they have a conflict, scores on the criterion's scale, an administrator in
  every organisation with members).

Two times in three an example starts from the form filled in well (``FormCase.valid``) and
spoils a few fields, so that it reaches the services and the database; ``FUZZ_STATS=1 pytest -s``
prints, per form, the statuses and how many examples changed the database.

One world for the whole module (``tests/world.py``), built once; each example runs in a
savepoint that is rolled back, and the client's cookies are put back, so examples never see each
other. Derandomized with no example database, so CI runs the same examples every time.
"""

import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.test import Client
from django.urls import reverse
from django_fsm import FSMField
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.enums import ApplicationState as State
from applications.enums import (
    BudgetCategory,
    County,
    EligibilityItem,
    IneligibilityReason,
    PaymentStatus,
)
from applications.enums import DecisionOutcome as Outcome
from applications.enums import DecisionStatus as Status
from applications.forms.account import ProfileForm, SignupForm
from applications.forms.applicant import ApplicationForm, WithdrawForm, budget_formset
from applications.forms.audit import AuditFilterForm
from applications.forms.decisions import DecisionProposeForm, RankingProposeForm, SendBackForm
from applications.forms.follow_up import (
    FinanceFilterForm,
    PaymentPaidForm,
    RepaymentReceivedForm,
    ReportApproveForm,
    ReportReturnForm,
)
from applications.forms.manage import (
    DeadlineExceptionForm,
    EligibilityCheckForm,
    LateExceptionLookupForm,
    ReturnForCompletionForm,
)
from applications.forms.organisations import (
    InvitationForm,
    MembershipForm,
    OrganisationRegisterForm,
)
from applications.forms.site_pages import SitePageForm
from applications.hashing import content_sha256
from applications.models import (
    Application,
    ApplicationVersion,
    Decision,
    Membership,
    Organisation,
    Payment,
    Report,
)
from applications.selectors.applications import latest_version
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.working_copy import attachment_add
from grants.enums import OrganisationKind
from grants.models import Call
from reviews.enums import ConflictGround, Recommendation
from reviews.forms.criteria import ReviewThresholdsForm, criterion_formset
from reviews.forms.manage import (
    AssignmentAddForm,
    AssignmentRemoveForm,
    ConflictOverrideForm,
    ConsensusCommentForm,
    EmployerForm,
    PanelInviteForm,
)
from reviews.forms.reviewer import DeclarationForm, PanelJoinForm, ReviewForm
from reviews.models import Assignment, Score
from reviews.selectors.conflicts import conflict_pairs
from reviews.selectors.panel import panel_overview
from reviews.selectors.scope import declaration_scope
from reviews.selectors.scores import criteria_locked
from tests import factories
from tests.world import World, build_world, tiny_pdf

pytestmark = pytest.mark.django_db

EXAMPLES = 15  # per form; the whole file stays well under three minutes on two cores

PROJECT_APPS = ("grants", "applications", "reviews")

# The states an application may be in once a decision of each outcome is in force.
DECIDED_STATES = {
    Outcome.APPROVED: {State.APPROVED, State.FOLLOW_UP, State.CLOSED},
    Outcome.REJECTED: {State.REJECTED},
    Outcome.REJECTED_INELIGIBLE: {State.REJECTED},
}


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Each form gets EXAMPLES posts from one address; the rate limits would answer most of them
    with a 429 before the form is reached (they have their own tests/config/test_ratelimits.py)."""
    settings.RATELIMIT_ENABLE = False


# -- the world, once for the module ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once; each test's own transaction and each example's savepoint sit inside this one,
    which is rolled back at the end of the module."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


# -- what a field may be sent ---------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """What a field expects, so that some examples get past the form to the service."""

    name: str  # text, email, int, decimal, date, datetime, bool, choice, file, orgnr
    choices: tuple[str, ...] = ()


def kind_of(name: str, form_field) -> Kind:
    if "orgnr" in name:
        return Kind("orgnr")
    if isinstance(form_field, forms.FileField):
        return Kind("file")
    if isinstance(form_field, forms.BooleanField):
        return Kind("bool")
    if isinstance(form_field, forms.ModelChoiceField):
        pks = form_field.queryset.values_list("pk", flat=True)
        return Kind("choice", tuple(str(pk) for pk in pks))
    if isinstance(form_field, forms.ChoiceField):
        return Kind("choice", tuple(str(value) for value, _ in form_field.choices if value != ""))
    if isinstance(form_field, forms.EmailField):
        return Kind("email")
    if isinstance(form_field, forms.DecimalField):  # before IntegerField, its base class
        return Kind("decimal")
    if isinstance(form_field, forms.IntegerField):
        return Kind("int")
    if isinstance(form_field, forms.DateTimeField):
        return Kind("datetime")
    if isinstance(form_field, forms.DateField):
        return Kind("date")
    return Kind("text")


def fields_of(*forms_) -> dict[str, Kind]:
    """The posted names of the forms' fields (with their prefixes), and what each expects.

    A formset gives its management form and each form, plus the next index, which the formset
    does not expect."""
    result = {}
    for form in forms_:
        if isinstance(form, forms.BaseFormSet):
            management = form.management_form
            for name in management.fields:
                result[management.add_prefix(name)] = Kind("int")
            nested = list(form.forms) + [form.empty_form]
            for index, inner in enumerate(nested):
                for name, form_field in inner.fields.items():
                    posted = f"{form.prefix}-{index}-{name}"
                    result[posted] = kind_of(name, form_field)
            continue
        for name, form_field in form.fields.items():
            result[form.add_prefix(name)] = kind_of(name, form_field)
    return result


# -- generated values -----------------------------------------------------------------------------

ODD_NUMBERS = [
    "0", "-0", "-1", "1.5", "1,5", "1 000", "1\u00a0000", "1e3", "1E400", "NaN", "inf",
    "-Infinity", "0x10", "+5", "1_000", "²", "١٢٣", "٣", "𝟙𝟚", "9" * 40, "-" + "9" * 40,
    "2147483648", "9223372036854775808", "18446744073709551616", " 42 ",
]  # fmt: skip
# Whole numbers at and past what the database's integer columns hold: a PositiveIntegerField's
# last value and the one after it, a bigint's last and the one after it (SQLite overflows), far
# past any, and below zero.
INTEGER_LIMITS = [
    "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
    "99999999999999999999", "-1", "-2147483649",
]  # fmt: skip
ODD_DATES = [
    "2026-02-30", "0000-00-00", "31/12/2026", "12/31/2026", "2026-13-01", "2026-12-01T25:61",
    "99999-01-01", "2026-12-01 12:00", "1900-01-01", "9999-12-31 23:59", "0001-01-01T00:00",
    "2026-W05", "20261201", "2026-12-01T12:00:00+14:00", "2026-12-01T12:00Z", "-1", "today",
    "2026-03-29 02:30",  # a time that does not exist in Stockholm (clocks go forward)
    "2026-10-25 02:30",  # a time that exists twice in Stockholm (clocks go back)
]  # fmt: skip
HTML = [
    "<script>alert(1)</script>", "<b>bold</b>", "&amp;&lt;", "\"><img src=x onerror=alert(1)>",
    "{{ request }}", "{% debug %}", "%(name)s", "%s%s%s", "=cmd|'/C calc'!A0", "'; DROP TABLE x;--",
]  # fmt: skip
AWKWARD_TEXT = [
    "", " ", "\t", "\n", "\x00", "a\x00b", "\r\n", "\u200b", "\ufeff", "\u202e", "ÅÄÖ åäö",
    "漢字", "🙂", "e\u0301", "null", "None", "undefined", "true", "[]", "{}",
]  # fmt: skip


def long_text():
    return st.builds(
        lambda piece, times: piece * times,
        st.sampled_from(["a", "å", "漢", "🙂", "\x00", "<b>", "9", " "]),
        st.integers(200, 25_000),
    )


def scalar():
    """Any one awkward value, as text."""
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from(AWKWARD_TEXT + HTML + ODD_NUMBERS + ODD_DATES),
        st.integers(-(10**25), 10**25).map(str),
        long_text(),
    )


def random_file():
    names = st.one_of(
        st.text(min_size=1, max_size=40),
        st.sampled_from(
            ["plan.pdf", "../../etc/passwd", "a.PDF.exe", ".pdf", "x" * 300 + ".pdf", "CON.pdf"]
        ),
    )
    contents = st.one_of(
        st.binary(max_size=3000),
        st.builds(lambda tail: tiny_pdf() + tail, st.binary(max_size=200)),
        st.sampled_from([b"", tiny_pdf(), b"%PDF-", b"PK\x03\x04" + b"\x00" * 30]),
    )
    return st.builds(
        lambda name, content: SimpleUploadedFile(_file_name(name), content), names, contents
    )


def _file_name(name: str) -> str:
    # Django's UploadedFile refuses a name with no last part ("/", ".."), in the test client
    # before anything is sent; a browser would send some name.
    return name if os.path.basename(name) not in ("", ".", "..") else f"file{name}x"


def plausible(kind: Kind):
    """A value of the right type, often at its edges."""
    if kind.name == "choice" and kind.choices:
        return st.sampled_from(kind.choices)
    if kind.name == "bool":
        return st.sampled_from(["on", "true", "1", "", "false", "0", "off"])
    if kind.name == "int":
        return st.one_of(
            st.integers(-5, 2_000).map(str),
            st.integers(-(10**12), 10**12).map(str),
            st.sampled_from(["600000", "600001", "4294967296", *INTEGER_LIMITS]),
        )
    if kind.name == "decimal":
        return st.one_of(
            st.decimals(min_value=-1000, max_value=1000, places=2).map(str),
            st.decimals(0, 10, places=3).map(lambda d: f"{d}".replace(".", ",")),
        )
    if kind.name == "date":
        return st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)).map(dt.date.isoformat)
    if kind.name == "datetime":
        return st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2200, 1, 1)).map(
            lambda moment: moment.strftime(st_format(moment))
        )
    if kind.name == "email":
        return st.one_of(
            st.emails(),
            st.sampled_from(["a@b", "åsa@exempel.se", "x" * 300 + "@e.se", "@", "a@@b.se"]),
        )
    if kind.name == "orgnr":
        return st.one_of(
            st.from_regex(r"\A[0-9]{6}-?[0-9]{4}\Z"),
            st.builds(factories.orgnr, st.sampled_from(["2120", "2021", "5566", "8112"])),
        )
    if kind.name == "file":
        return random_file()
    return st.one_of(st.text(max_size=300), st.sampled_from(["A clear plan.", "Ja"]))


def st_format(moment) -> str:
    return "%Y-%m-%dT%H:%M" if moment.minute % 2 else "%Y-%m-%d %H:%M"


def value(kind: Kind):
    one = st.one_of(plausible(kind), scalar(), random_file())
    return st.one_of(plausible(kind), one, st.lists(one, min_size=0, max_size=3))


@st.composite
def payloads(draw, fields: dict[str, Kind], valid=None):
    """A form to post: two times in three the form filled in well with a few of its fields
    spoilt or left out (often none), else any of its fields with anything in them; and maybe
    a few keys the form does not expect."""
    if valid is not None and draw(st.integers(0, 2)):
        data = dict(draw(valid))
        names = sorted(set(fields) | set(data))
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            if draw(st.booleans()):
                data[name] = draw(value(fields.get(name, Kind("text"))))
            else:
                data.pop(name, None)
    else:
        data = {}
        for name, kind in fields.items():
            if draw(st.integers(0, 4)):  # one time in five, the field is not sent at all
                data[name] = draw(value(kind))
    extra_keys = st.one_of(
        st.text(min_size=1, max_size=20),
        st.sampled_from([*fields, "csrfmiddlewaretoken", "next", "action", "id", "pk", "state"]),
    )
    data.update(draw(st.dictionaries(extra_keys, st.one_of(scalar(), random_file()), max_size=3)))
    return data


# -- the forms ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCase:
    """One form: where it posts, who may post it, its fields, and how it is filled in well.

    ``url``, ``fields`` and ``valid`` get the world (``url`` also the logged-in client, for a
    form reached through another page). ``valid`` is a strategy of a properly filled-in form,
    which examples start from and then spoil, so that they get past the form to the service and
    the database. ``then`` is a second POST after each example, for a form whose data only
    matters at the next step (an edit, then a submit).
    """

    name: str
    role: str
    url: Callable
    fields: Callable
    valid: Callable | None = None
    method: str = "POST"
    then: Callable | None = None
    examples: int = EXAMPLES
    user: Callable | None = None  # when the role is no one of the world's: makes the user
    verified: bool = True  # False: logged in, the second factor not yet given


def u(name: str, *args) -> str:
    return reverse(name, args=args)


# Well-formed values, for the valid forms.


def words(min_size: int = 1, max_size: int = 200):
    """Text a person could type: any letters, no control characters, never blank."""
    letters = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    return st.builds(
        lambda first, rest: first + rest,
        st.sampled_from(["A", "Å", "z", "Ö", "漢", "7"]),
        st.text(letters, max_size=max_size - 1),
    ).map(lambda text: text[:max_size])


def maybe_words(max_size: int = 200):
    return st.one_of(st.just(""), words(1, max_size))


def password():
    return st.text(
        st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=12, max_size=40
    ).filter(lambda text: text.strip() == text and any(not c.isdigit() for c in text))


def decimal_text(low: str, high: str, places: int = 2):
    number = st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)
    return st.one_of(number.map(str), number.map(lambda d: str(d).replace(".", ",")))


def future_time():
    now = dt.datetime.now()
    moments = st.datetimes(now + dt.timedelta(hours=2), now + dt.timedelta(days=400))
    return moments.map(lambda moment: moment.strftime(st_format(moment)))


def pks(queryset) -> list[str]:
    return [str(pk) for pk in queryset.values_list("pk", flat=True)]


# Strategies of properly filled-in forms.


def valid_signup(world):
    return st.builds(
        lambda name, email, secret, language: {
            "full_name": name,
            "email": email,
            "password1": secret,
            "password2": secret,
            "language": language,
        },
        words(1, 200),
        st.emails(),
        password(),
        st.sampled_from(["sv", "en"]),
    )


def valid_login(world):
    return st.fixed_dictionaries(
        {
            "username": st.sampled_from([world.applicant.email, world.colleague.email]),
            "password": st.sampled_from(["correct horse battery"] * 3 + ["wrong horse battery"]),
        }
    )


def valid_new_password(world):
    return password().map(lambda secret: {"new_password1": secret, "new_password2": secret})


def valid_password_change(world):
    return valid_new_password(world).map(
        lambda data: {**data, "old_password": "correct horse battery"}
    )


def valid_organisation(world):
    return st.fixed_dictionaries(
        {
            "orgnr": st.builds(factories.orgnr, st.sampled_from(["2120", "2321", "2021"])),
            "name": words(1, 200),
            "kind": st.sampled_from(OrganisationKind.values),
            "county": st.sampled_from(County.values),
            "address": maybe_words(500),
        }
    )


def valid_employer(prefix: str = ""):
    return lambda world: st.fixed_dictionaries(
        {
            f"{prefix}employer_orgnr": st.one_of(
                st.just(""), st.builds(factories.orgnr, st.sampled_from(["2120", "5566"]))
            ),
            f"{prefix}employer_name": maybe_words(200),
        }
    )


@st.composite
def _application_content(draw, application):
    lines = draw(
        st.lists(
            st.tuples(
                st.sampled_from(BudgetCategory.values), words(1, 300), st.integers(0, 120_000)
            ),
            min_size=1,
            max_size=5,
        )
    )
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)))
    data = {
        "title": draw(words(1, 200)),
        "summary": draw(words(1, 2000)),
        "what_to_try": draw(words(1, 3000)),
        "hub": draw(st.sampled_from(pks(application.call.hubs.all()))),
        "participants": str(draw(st.integers(0, 10_000))),
        "period_start": start.isoformat(),
        "period_end": (start + dt.timedelta(days=draw(st.integers(0, 900)))).isoformat(),
        "expected_results": draw(words(1, 3000)),
        "requested_amount": str(sum(amount for _c, _d, amount in lines)),
        "contact_name": draw(words(1, 200)),
        "contact_email": draw(st.emails()),
        "contact_phone": draw(st.from_regex(r"\A\+?[0-9 -]{0,30}\Z")),
        "language": draw(st.sampled_from(["sv", "en"])),
        "action": draw(st.sampled_from(["save", "preview"])),
        # The version the page was read at: a save from an older one is refused as stale.
        "edit_version": str(Application.objects.get(pk=application.pk).edit_version),
        "budget-TOTAL_FORMS": str(len(lines)),
        "budget-INITIAL_FORMS": "0",
    }
    for index, (category, description, amount) in enumerate(lines):
        data |= {
            f"budget-{index}-category": category,
            f"budget-{index}-description": description,
            f"budget-{index}-amount": str(amount),
        }
    return data


def valid_content(name: str):
    return lambda world: _application_content(getattr(world, name))


def valid_decision(name: str, outcomes=tuple(Outcome.values)):
    """A proposal for the world's application ``name``, with one of ``outcomes`` (the ones it
    may take) and an amount around what it asked for."""

    def strategy(world):
        application = getattr(world, name)
        requested = latest_version(application).content["requested_amount"]
        return st.sampled_from(outcomes).flatmap(
            lambda outcome: st.fixed_dictionaries(
                {
                    "outcome": st.just(outcome),
                    "granted_amount": st.integers(-1, requested + 1).map(str),
                    "conditions": maybe_words(2000),
                    "justification": words(1, 2000),
                    "feedback": maybe_words(2000),
                    "reason_code": st.sampled_from(IneligibilityReason.values)
                    if outcome == Outcome.REJECTED_INELIGIBLE
                    else st.just(""),
                }
            )
        )

    return strategy


def valid_deadline(prefix: str, *, deadline: str = "new_deadline", reason: str = "reason"):
    return lambda world: st.fixed_dictionaries(
        {f"{prefix}{deadline}": future_time(), f"{prefix}{reason}": words(1, 2000)}
    )


def valid_text(*names: str, max_size: int = 2000):
    return lambda world: st.fixed_dictionaries({name: words(1, max_size) for name in names})


def valid_eligibility(world):
    return st.fixed_dictionaries(
        {
            **{f"eligibility-{item}": st.sampled_from(["on", ""]) for item in EligibilityItem},
            "eligibility-comment": maybe_words(2000),
        }
    )


def valid_conflict_override(world):
    return st.fixed_dictionaries(
        {
            "application": st.sampled_from(pks(declaration_scope(world.call))),
            "member": st.sampled_from(pks(panel_overview(world.call))),
            "decision": st.sampled_from(["add", "lift"]),
            "reason": words(1, 2000),
        }
    )


def valid_assignment_add(world):
    members = pks(panel_overview(world.call))
    return st.fixed_dictionaries({f"add-{world.in_review.pk}-member": st.sampled_from(members)})


@st.composite
def _criteria(draw, call):
    rows = draw(st.integers(1, 4))
    data = {
        "criteria-TOTAL_FORMS": str(rows),
        "criteria-INITIAL_FORMS": "0",
        "call-disagreement_spread": draw(decimal_text("0", "10")),
        "call-total_threshold": draw(st.one_of(st.just(""), decimal_text("0", "10"))),
    }
    for index in range(rows):
        low = draw(st.integers(0, 3))
        high = draw(st.integers(low + 1, 10))
        data |= {
            f"criteria-{index}-position": str(draw(st.integers(1, 10))),
            f"criteria-{index}-name_sv": draw(words(1, 200)),
            f"criteria-{index}-name_en": draw(words(1, 200)),
            f"criteria-{index}-guidance_sv": draw(maybe_words(2000)),
            f"criteria-{index}-guidance_en": draw(maybe_words(2000)),
            f"criteria-{index}-weight": draw(decimal_text("0.01", "99.99")),
            f"criteria-{index}-scale_min": str(low),
            f"criteria-{index}-scale_max": str(high),
            f"criteria-{index}-threshold": draw(
                st.one_of(st.just(""), decimal_text(str(low), str(high)))
            ),
        }
    return data


def valid_declarations(world):
    """For each application: none, a conflict with its ground, or nothing yet."""
    answers = st.one_of(
        st.just(("none", "")),
        st.sampled_from(ConflictGround.values).map(lambda ground: ("conflict", ground)),
        st.just(("", "")),
    )

    def form(answered):
        data = {}
        for pk, ((decision, ground), comment) in answered.items():
            data |= {
                f"a{pk}-decision": decision,
                f"a{pk}-ground": ground,
                f"a{pk}-comment": comment,
            }
        return data

    scope = declaration_scope(world.call).values_list("pk", flat=True)
    return st.fixed_dictionaries({pk: st.tuples(answers, maybe_words(500)) for pk in scope}).map(
        form
    )


def valid_review(world):
    criteria = world.call.criteria.order_by("position", "pk")
    return st.fixed_dictionaries(
        {
            **{f"score_{c.pk}": st.integers(c.scale_min, c.scale_max).map(str) for c in criteria},
            "comment_for_applicant": maybe_words(3000),
            "internal_comment": maybe_words(3000),
            "recommendation": st.sampled_from(["", *Recommendation.values]),
            "action": st.sampled_from(["save", "submit"]),
            # The draft's version as stored: a save from an older page is refused as stale.
            "edit_version": st.just(
                str(Assignment.objects.get(pk=world.assignment.pk).review.edit_version)
            ),
        }
    )


# Setting up a form that needs more than the world.


def _set_password_url(world: World, client: Client) -> str:
    """The reset link's second step: the token goes into the session, the URL says so."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    user = world.colleague
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse("password_reset_confirm", args=[uid, token]))
    assert response.status_code == 302, response.status_code
    return response["Location"]


def _panel_invitee(world: World):
    return factories.UserFactory(email=world.panel_invitation.email, language="en")


def _draft_with_attachment(world: World) -> str:
    attachment = attachment_add(
        application=world.draft,
        by=world.applicant,
        upload=SimpleUploadedFile("budget.pdf", tiny_pdf()),
    )
    return u("applications:attachment_remove", world.draft.pk, attachment.pk)


# The fields of each form, read from the form classes.


def _edit_fields(world: World) -> dict[str, Kind]:
    application = Application.objects.get(pk=world.draft.pk)
    return {
        **fields_of(
            ApplicationForm(instance=application, call=application.call),
            budget_formset(application),
        ),
        "action": Kind("choice", ("save", "preview")),
        "edit_version": Kind("int"),
    }


def _criteria_fields(call) -> dict[str, Kind]:
    locked = criteria_locked(call)
    initial = [{"id": c.pk} for c in call.criteria.order_by("position", "pk")]
    formset = criterion_formset(locked=locked)(initial=initial, prefix="criteria", locked=locked)
    fields = fields_of(formset, ReviewThresholdsForm(prefix="call", locked=locked))
    ids = tuple(str(pk) for pk in call.criteria.values_list("pk", flat=True))
    for name in fields:
        if name.endswith("-id"):
            fields[name] = Kind("choice", ids)
    return fields


def _propose_fields(world: World) -> dict[str, Kind]:
    return fields_of(DecisionProposeForm(outcomes=list(Outcome.values)))


def _declare_fields(world: World) -> dict[str, Kind]:
    return fields_of(DeclarationForm(applications=declaration_scope(world.call)))


def _review_fields(world: World) -> dict[str, Kind]:
    criteria = world.call.criteria.order_by("position", "pk")
    actions = Kind("choice", ("save", "submit"))
    return {**fields_of(ReviewForm(criteria=criteria)), "action": actions}


def _filter_fields(world: World) -> dict[str, Kind]:
    from applications.filters import ApplicationFilter

    return {
        **fields_of(ApplicationFilter(queryset=Application.objects.none()).form),
        "page": Kind("int"),
    }


def _register_fields(world: World) -> dict[str, Kind]:
    from applications.filters import RegisterFilter

    fields = fields_of(RegisterFilter(queryset=Application.objects.none()).form)
    return {**fields, "call": Kind("choice", ("open-call", "review-call")), "page": Kind("int")}


def _organisations(world):
    return {"organisation": Kind("choice", tuple(pks(Organisation.objects.all())))}


def _valid_organisation_choice(world):
    return st.just({"organisation": str(world.organisation.pk)})


# Two-factor, acceptance and reports: what their forms need.

SETUP_KEY = "3132333435363738393031323334353637383930"  # the hex key of the setup page's session
VERIFIER = "verifier@example.se"


def _code(key_hex: str) -> str:
    from django_otp.oath import TOTP

    return f"{TOTP(bytes.fromhex(key_hex)).token():06d}"


def _setup_url(world: World, client: Client) -> str:
    """The setup page as the person sees it after loading it: its secret is in the session."""
    session = client.session
    session["two_factor_setup_key"] = SETUP_KEY
    session.save()
    return u("two_factor_setup")


def _verifier(world: World):
    """A programme manager with an authenticator app and two recovery codes."""
    user = factories.programme_manager(email=VERIFIER, language="en")
    factories.TOTPDeviceFactory(user=user)
    factories.recovery_codes(user)
    return user


def valid_verify(world):
    def now():
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return _code(TOTPDevice.objects.get(user__email=VERIFIER).key)

    return st.one_of(
        st.builds(lambda: {"otp_token": now()}),
        st.sampled_from(["abcd2345", "efgh6723"]).map(
            lambda code: {"method": "recovery", "otp_token": code}
        ),
    )


def _acceptance_sha256(world: World) -> str:
    import hashlib

    application = Application.objects.get(pk=world.decided.pk)
    text = acceptance_text(application, effective_decision(application))
    return hashlib.sha256(text.encode()).hexdigest()


def valid_acceptance(world):
    return st.fixed_dictionaries(
        {"confirm": st.sampled_from(["on", ""]), "text_sha256": st.just(_acceptance_sha256(world))}
    )


def _report_fields(world: World) -> dict[str, Kind]:
    from applications.forms.follow_up import ReportForm

    report = Report.objects.get(pk=world.report.pk)
    return {**fields_of(ReportForm(report=report)), "action": Kind("choice", ("save", "submit"))}


@st.composite
def _report(draw, report):
    spent = {cost.pk: draw(st.integers(0, 400_000)) for cost in report.costs.all()}
    data = {
        "what_was_done": draw(words(1, 3000)),
        "lessons": draw(words(1, 3000)),
        "participants": str(draw(st.integers(0, 5000))),
        "hub_days": str(draw(st.integers(0, 5000))),
        "total_spent": str(sum(spent.values()) + draw(st.sampled_from([0, 0, 0, 1]))),
        "action": draw(st.sampled_from(["save", "submit"])),
        "edit_version": str(report.edit_version),
    }
    for measure in report.application.call.report_measures or []:
        data[f"measure_{measure['key']}"] = draw(decimal_text("0", "10", places=1))
    for pk, amount in spent.items():
        data[f"spent_{pk}"] = str(amount)
    return data


def _submitted_report_url(name: str):
    """A manager's report action on the world's final report, handed in first."""

    def url(world: World, client: Client) -> str:
        report = Report.objects.get(pk=world.report.pk)
        factories.complete_report(report, by=world.applicant, spent=[250_000, 100_000])
        return u(name, world.granted.pk, report.pk)

    return url


def valid_past_date(name: str):
    today = dt.date.today()
    dates = st.dates(today - dt.timedelta(days=400), today + dt.timedelta(days=3))
    return lambda world: st.fixed_dictionaries({name: dates.map(dt.date.isoformat)})


def _fields(form_class, **kwargs):
    return lambda world: fields_of(form_class(**kwargs))


def _with_free_reviewer(world: World, client: Client) -> str:
    """A third reviewer who declared no conflict with the application in review."""
    member = factories.PanelMemberFactory(call=world.call, user__full_name="Frida Free")
    factories.declare_none(member, [world.in_review])
    return u("reviews:assignment_add", world.call.slug, world.in_review.pk)


def _with_review_submitted(world: World, client: Client) -> str:
    """The reviewer's draft submitted, so the minimum of reviews may be in."""
    from reviews.services.reviewing import review_submit

    review_submit(assignment=world.assignment, by=world.reviewer)
    return u("reviews:review_complete", world.in_review.pk)


def valid_upload(world):
    names = st.sampled_from(["plan.pdf", "Budget 2027.PDF", "åtgärder.pdf", "x" * 150 + ".pdf"])
    return names.map(lambda name: {"file": SimpleUploadedFile(name, tiny_pdf())})


FORMS = [
    # -- anyone -----------------------------------------------------------------------------
    FormCase("signup", "anonymous", lambda w, c: u("applications:signup"),
             lambda w: {**fields_of(SignupForm()), "next": Kind("text")}, valid_signup),
    FormCase("login", "anonymous", lambda w, c: u("login"),
             lambda w: {"username": Kind("email"), "password": Kind("text"), "next": Kind("text")},
             valid_login),
    FormCase("password_reset", "anonymous", lambda w, c: u("password_reset"),
             lambda w: {"email": Kind("email")},
             lambda w: st.fixed_dictionaries({"email": st.sampled_from([w.colleague.email])})),
    FormCase("password_reset_confirm", "anonymous", _set_password_url,
             lambda w: {"new_password1": Kind("text"), "new_password2": Kind("text")},
             valid_new_password),
    FormCase("set_language", "applicant", lambda w, c: u("applications:set_language"),
             lambda w: {"language": Kind("choice", ("sv", "en")), "next": Kind("text")}),
    FormCase("invitation_accept", "applicant",
             lambda w, c: u("applications:invitation_accept", w.invitation.token), lambda w: {}),
    FormCase("panel_invitation_accept", "invitee",
             lambda w, c: u("reviews:panel_invitation_accept", w.panel_invitation.token),
             lambda w: fields_of(PanelJoinForm()), valid_employer(), user=_panel_invitee),
    # -- the applicant ----------------------------------------------------------------------
    FormCase("profile", "applicant", lambda w, c: u("applications:profile"),
             lambda w: fields_of(ProfileForm()),
             lambda w: st.fixed_dictionaries({"full_name": words(1, 200),
                                              "phone": st.from_regex(r"\A[0-9 +-]{0,40}\Z"),
                                              "language": st.sampled_from(["sv", "en"])})),
    FormCase("password_change", "applicant", lambda w, c: u("password_change"),
             lambda w: {"old_password": Kind("text"), "new_password1": Kind("text"),
                        "new_password2": Kind("text")}, valid_password_change),
    FormCase("organisation_register", "applicant",
             lambda w, c: u("applications:organisation_register"),
             lambda w: fields_of(OrganisationRegisterForm()), valid_organisation),
    FormCase("organisation_invite", "applicant",
             lambda w, c: u("applications:organisation_invite", w.organisation.pk),
             lambda w: fields_of(InvitationForm()),
             lambda w: st.fixed_dictionaries({"email": st.emails(),
                                              "is_admin": st.sampled_from(["on", ""]),
                                              "is_signatory": st.sampled_from(["on", ""])})),
    FormCase("membership_update", "applicant",
             lambda w, c: u("applications:membership_update", w.organisation.pk,
                            w.colleague_membership.pk),
             lambda w: fields_of(MembershipForm(prefix=f"m{w.colleague_membership.pk}"))),
    FormCase("membership_update_own", "applicant",
             lambda w, c: u("applications:membership_update", w.organisation.pk,
                            w.applicant.memberships.get().pk),
             lambda w: fields_of(MembershipForm(prefix=f"m{w.applicant.memberships.get().pk}"))),
    FormCase("membership_remove", "applicant",
             lambda w, c: u("applications:membership_remove", w.organisation.pk,
                            w.applicant.memberships.get().pk), lambda w: {}),
    FormCase("application_create", "applicant",
             lambda w, c: u("applications:application_create", w.open_call.slug),
             _organisations, _valid_organisation_choice),
    FormCase("edit_then_submit", "applicant", lambda w, c: u("applications:edit", w.draft.pk),
             _edit_fields, valid_content("draft"),
             then=lambda w: u("applications:submit", w.draft.pk), examples=40),
    FormCase("autosave_then_submit", "applicant",
             lambda w, c: u("applications:autosave", w.draft.pk), _edit_fields,
             valid_content("draft"), then=lambda w: u("applications:submit", w.draft.pk),
             examples=25),
    FormCase("autosave_submitted", "applicant",
             lambda w, c: u("applications:autosave", w.submitted.pk), _edit_fields,
             valid_content("submitted")),
    FormCase("edit_submitted_then_submit", "applicant",
             lambda w, c: u("applications:edit", w.submitted.pk), _edit_fields,
             valid_content("submitted"), then=lambda w: u("applications:submit", w.submitted.pk)),
    FormCase("attachment_upload", "applicant",
             lambda w, c: u("applications:attachment_upload", w.draft.pk),
             lambda w: {"file": Kind("file")}, valid_upload, examples=25),
    FormCase("attachment_remove", "applicant", lambda w, c: _draft_with_attachment(w),
             lambda w: {}),
    FormCase("withdraw", "applicant", lambda w, c: u("applications:withdraw", w.submitted.pk),
             lambda w: fields_of(WithdrawForm()), valid_text("reason")),
    # -- the programme manager --------------------------------------------------------------
    FormCase("manage_list", "programme_manager", lambda w, c: u("applications:manage_list"),
             _filter_fields, method="GET"),
    FormCase("manage_export", "programme_manager", lambda w, c: u("applications:manage_export"),
             _filter_fields),
    FormCase("manage_return", "programme_manager",
             lambda w, c: u("applications:manage_return", w.submitted.pk),
             lambda w: fields_of(ReturnForCompletionForm(prefix="return")),
             valid_deadline("return-", deadline="deadline", reason="message")),
    FormCase("manage_deadline_exception", "programme_manager",
             lambda w, c: u("applications:manage_deadline_exception", w.submitted.pk),
             lambda w: fields_of(DeadlineExceptionForm(prefix="exception")),
             valid_deadline("exception-")),
    FormCase("manage_eligibility", "programme_manager",
             lambda w, c: u("applications:manage_eligibility", w.submitted.pk),
             lambda w: fields_of(EligibilityCheckForm(prefix="eligibility")), valid_eligibility),
    FormCase("manage_start_review", "programme_manager",
             lambda w, c: u("applications:manage_start_review", w.submitted.pk), lambda w: {}),
    FormCase("late_exceptions", "programme_manager", lambda w, c: u("applications:late_exceptions"),
             lambda w: fields_of(LateExceptionLookupForm()),
             lambda w: st.just({"call": str(w.open_call.pk), "orgnr": w.organisation.orgnr}),
             method="GET"),
    FormCase("late_exception_record", "programme_manager",
             lambda w, c: u("applications:late_exception_record", w.draft.pk),
             lambda w: fields_of(DeadlineExceptionForm(prefix=f"a{w.draft.pk}")),
             lambda w: valid_deadline(f"a{w.draft.pk}-")(w)),
    FormCase("decision_propose", "programme_manager",
             lambda w, c: u("applications:decision_propose", w.reviewed.pk), _propose_fields,
             valid_decision("reviewed", (Outcome.APPROVED, Outcome.REJECTED)), examples=30),
    FormCase("decision_propose_ineligible", "programme_manager",
             lambda w, c: u("applications:decision_propose", w.submitted.pk), _propose_fields,
             valid_decision("submitted", (Outcome.REJECTED_INELIGIBLE,))),
    FormCase("decision_propose_correction", "programme_manager",
             lambda w, c: u("applications:decision_propose", w.decided.pk), _propose_fields,
             valid_decision("decided", (Outcome.APPROVED,))),
    FormCase("decision_preview", "programme_manager",
             lambda w, c: u("applications:decision_preview", w.reviewed.pk), _propose_fields,
             valid_decision("reviewed", (Outcome.APPROVED, Outcome.REJECTED)), examples=8),
    FormCase("reviews_decision_propose", "programme_manager",
             lambda w, c: u("reviews:decision_propose", w.reviewed.pk), _propose_fields,
             valid_decision("reviewed", (Outcome.APPROVED, Outcome.REJECTED))),
    FormCase("ranking_propose", "programme_manager",
             lambda w, c: u("reviews:ranking_propose", w.call.slug),
             lambda w: fields_of(RankingProposeForm()),
             valid_text("approve_justification", "reject_justification")),
    FormCase("decisions_release_call", "programme_manager",
             lambda w, c: u("applications:decisions_release_call", w.held_call.slug),
             lambda w: {}),
    FormCase("panel_invite", "programme_manager",
             lambda w, c: u("reviews:panel_invite", w.call.slug),
             lambda w: fields_of(PanelInviteForm(prefix="invite")),
             lambda w: st.fixed_dictionaries({"invite-email": st.emails()})),
    FormCase("panel_employer", "programme_manager",
             lambda w, c: u("reviews:panel_employer", w.call.slug, w.reviewer_member.pk),
             lambda w: fields_of(EmployerForm(prefix=f"employer-{w.reviewer_member.pk}")),
             lambda w: valid_employer(f"employer-{w.reviewer_member.pk}-")(w)),
    FormCase("conflict_override", "programme_manager",
             lambda w, c: u("reviews:conflict_override", w.call.slug),
             lambda w: fields_of(ConflictOverrideForm(
                 applications=declaration_scope(w.call),
                 members=panel_overview(w.call))), valid_conflict_override),
    FormCase("assignments_auto", "programme_manager",
             lambda w, c: u("reviews:assignments_auto", w.call.slug), lambda w: {}),
    FormCase("assignment_add", "programme_manager", _with_free_reviewer,
             lambda w: fields_of(AssignmentAddForm(
                 prefix=f"add-{w.in_review.pk}", members=panel_overview(w.call))),
             valid_assignment_add),
    FormCase("assignment_remove", "programme_manager",
             lambda w, c: u("reviews:assignment_remove", w.call.slug, w.assignment.pk),
             lambda w: fields_of(AssignmentRemoveForm(prefix=f"remove-{w.assignment.pk}")),
             lambda w: valid_text(f"remove-{w.assignment.pk}-reason")(w)),
    FormCase("review_complete", "programme_manager", _with_review_submitted, lambda w: {}),
    FormCase("consensus_comment", "programme_manager",
             lambda w, c: u("reviews:consensus_comment", w.in_review.pk),
             lambda w: fields_of(ConsensusCommentForm(prefix="consensus")),
             valid_text("consensus-text")),
    FormCase("criteria_open_call", "programme_manager",
             lambda w, c: u("reviews:criteria", w.open_call.slug),
             lambda w: _criteria_fields(w.open_call), lambda w: _criteria(w.open_call),
             examples=40),
    FormCase("criteria_locked", "programme_manager",
             lambda w, c: u("reviews:criteria", w.call.slug), lambda w: _criteria_fields(w.call)),
    # -- the decision maker -----------------------------------------------------------------
    FormCase("decision_confirm", "decision_maker",
             lambda w, c: u("applications:decision_confirm", w.proposal.pk), lambda w: {}),
    FormCase("decision_send_back", "decision_maker",
             lambda w, c: u("applications:decision_send_back", w.proposal.pk),
             lambda w: fields_of(SendBackForm(prefix=f"back{w.proposal.pk}")),
             lambda w: valid_text(f"back{w.proposal.pk}-comment")(w)),
    FormCase("decisions_confirm_selected", "decision_maker",
             lambda w, c: u("applications:decisions_confirm_selected"),
             lambda w: {"decision": Kind("choice", tuple(pks(Decision.objects.all())))},
             lambda w: st.just({"decision": [str(w.proposal.pk)]})),
    # -- the reviewer -----------------------------------------------------------------------
    FormCase("declare", "reviewer", lambda w, c: u("reviews:declare", w.call.slug),
             _declare_fields, valid_declarations),
    FormCase("declare_conflicted", "conflicted_reviewer",
             lambda w, c: u("reviews:declare", w.call.slug), _declare_fields, valid_declarations),
    FormCase("review", "reviewer", lambda w, c: u("reviews:review", w.in_review.pk),
             _review_fields, valid_review, examples=30),
    # -- two-factor -------------------------------------------------------------------------
    FormCase("two_factor_verify", "unverified programme manager",
             lambda w, c: u("two_factor_verify"),
             lambda w: {"otp_token": Kind("text"), "method": Kind("choice", ("recovery", "")),
                        "next": Kind("text")},
             valid_verify, user=_verifier, verified=False),
    FormCase("two_factor_setup", "applicant", _setup_url,
             lambda w: {"otp_token": Kind("text"), "next": Kind("text")},
             lambda w: st.builds(lambda: {"otp_token": _code(SETUP_KEY)})),
    FormCase("two_factor_recovery_codes_renew", "programme_manager",
             lambda w, c: u("two_factor_recovery_codes_renew"), lambda w: {}),
    # -- follow-up --------------------------------------------------------------------------
    FormCase("accept_grant", "applicant", lambda w, c: u("applications:accept_grant", w.decided.pk),
             lambda w: {"confirm": Kind("bool"), "text_sha256": Kind("text")}, valid_acceptance),
    FormCase("report_edit", "applicant",
             lambda w, c: u("applications:report_edit", w.granted.pk, w.report.pk),
             _report_fields, lambda w: _report(Report.objects.get(pk=w.report.pk)), examples=25),
    FormCase("manage_payment_paid", "programme_manager",
             lambda w, c: u("applications:manage_payment_paid", w.granted.pk, w.payment.pk),
             lambda w: fields_of(PaymentPaidForm(prefix=f"payment-{w.payment.pk}")),
             lambda w: valid_past_date(f"payment-{w.payment.pk}-paid_on")(w)),
    FormCase("manage_repayment_received", "programme_manager",
             lambda w, c: u("applications:manage_repayment_received", w.closed.pk, w.claim.pk),
             lambda w: fields_of(RepaymentReceivedForm(prefix=f"claim-{w.claim.pk}")),
             lambda w: valid_past_date(f"claim-{w.claim.pk}-settled_on")(w)),
    FormCase("manage_close", "programme_manager",
             lambda w, c: u("applications:manage_close", w.granted.pk), lambda w: {}),
    FormCase("manage_report_approve", "programme_manager",
             _submitted_report_url("applications:manage_report_approve"),
             _fields(ReportApproveForm, prefix="approve"), valid_text("approve-comment"),
             then=lambda w: u("applications:manage_close", w.granted.pk)),
    FormCase("manage_report_return", "programme_manager",
             _submitted_report_url("applications:manage_report_return"),
             _fields(ReportReturnForm, prefix="return"), valid_text("return-comment")),
    FormCase("finance_csv", "programme_manager", lambda w, c: u("applications:finance_csv"),
             _fields(FinanceFilterForm)),
    FormCase("site_page_edit", "programme_manager",
             lambda w, c: u("applications:site_page_edit", "contact"),
             lambda w: fields_of(SitePageForm()),
             valid_text("title_sv", "title_en", "body_sv", "body_en", max_size=150)),
    FormCase("audit_log", "programme_manager", lambda w, c: u("applications:audit_log"),
             lambda w: {**fields_of(AuditFilterForm()), "page": Kind("int")}, method="GET"),
    FormCase("register", "anonymous", lambda w, c: u("applications:register"),
             _register_fields, method="GET"),
    FormCase("register_json", "anonymous", lambda w, c: u("applications:register_json"),
             _register_fields, method="GET"),
    FormCase("register_csv", "anonymous", lambda w, c: u("applications:register_csv"),
             _register_fields, method="GET"),
]  # fmt: skip


# -- what must hold after any request -------------------------------------------------------------


def project_models():
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in PROJECT_APPS and not meta.proxy and meta.managed:
            yield model


def snapshot() -> dict:
    """Every row of the project's models as plain values, one query per model."""
    return {
        (model, row["pk"]): row
        for model in project_models()
        for row in model._base_manager.values(
            "pk", *[f.attname for f in model._meta.concrete_fields]
        )
    }


def invalid_rows(before: dict, now: dict) -> list[str]:
    """Every row added or changed since ``before`` that fails its own validation."""
    touched: dict = {}
    for key, values in now.items():
        if before.get(key) != values:
            touched.setdefault(key[0], []).append(key[1])
    problems = []
    for model, pks in touched.items():
        # A protected state field refuses the assignment full_clean makes; its choices are
        # checked by hand.
        states = [f.name for f in model._meta.fields if isinstance(f, FSMField)]
        for row in model._base_manager.filter(pk__in=pks):
            try:
                row.full_clean(exclude=states)
            except ValidationError as error:
                problems.append(f"{model.__name__} {row.pk}: {error.message_dict}")
            for name in states:
                if getattr(row, name) not in dict(model._meta.get_field(name).choices):
                    problems.append(f"{model.__name__} {row.pk}: {name} {getattr(row, name)}")
            problems += out_of_column_range(row)
    return problems


def out_of_column_range(row) -> list[str]:
    """Integers that PostgreSQL's column would not hold (SQLite holds up to 2**63 - 1 in any)."""
    problems = []
    for model_field in row._meta.concrete_fields:
        if not isinstance(model_field, models.IntegerField):
            continue
        low, high = BaseDatabaseOperations.integer_field_ranges[model_field.get_internal_type()]
        number = getattr(row, model_field.attname)
        if number is not None and not low <= number <= high:
            problems.append(f"{type(row).__name__} {row.pk}: {model_field.name} {number}")
    return problems


def broken_rules() -> list[str]:
    """The rules that span rows, checked from the data in a dozen queries: budget lines, hashes,
    four eyes, granted amounts within what was applied for and the call's budget, instalments
    adding up to the grant and never paying more, states that follow the decision, no reviewer
    assigned where they have a conflict, scores on their scale, an administrator in every
    organisation."""
    problems = []
    latest: dict[int, ApplicationVersion] = {}
    for version in ApplicationVersion.objects.select_related("application__call").order_by(
        "number"
    ):
        latest[version.application_id] = version
        content = version.content
        amount = content.get("requested_amount")
        budget = content.get("budget_lines", [])
        if sum(line["amount"] for line in budget) != amount:
            problems.append(f"version {version.pk}: the budget lines do not add up to {amount}")
        if not amount or amount < 1 or amount > version.application.call.max_amount:
            problems.append(f"version {version.pk}: requested {amount} outside the call's limits")
        if any(line["amount"] < 0 for line in budget):
            problems.append(f"version {version.pk}: a negative budget line")
        if getattr(version, "redacted_at", None) is None and (
            content_sha256(content) != version.sha256
        ):
            problems.append(f"version {version.pk}: its SHA-256 does not match its content")

    decisions = list(Decision.objects.all())
    replaced = {
        d.supersedes_id for d in decisions if d.supersedes_id and d.status == Status.CONFIRMED
    }
    effective = {
        d.application_id: d
        for d in decisions
        if d.status == Status.CONFIRMED and d.pk not in replaced
    }
    waiting: dict[int, int] = {}
    for decision in decisions:
        if decision.status == Status.PROPOSED:
            waiting[decision.application_id] = waiting.get(decision.application_id, 0) + 1
        if decision.status == Status.CONFIRMED and decision.decided_by_id in (
            None,
            decision.proposed_by_id,
        ):
            problems.append(f"decision {decision.pk}: confirmed without four eyes")
        version = latest.get(decision.application_id)
        requested = version.content["requested_amount"] if version else 0
        if decision.outcome == Outcome.APPROVED:
            if not 0 < decision.granted_amount <= requested:
                problems.append(f"decision {decision.pk}: grants {decision.granted_amount}")
        elif decision.granted_amount != 0:
            problems.append(f"decision {decision.pk}: {decision.outcome} grants an amount")

    committed: dict[int, int] = {}
    for application in Application.objects.select_related("call"):
        pk, state = application.pk, application.state
        if state == State.DRAFT and application.registration_number is not None:
            problems.append(f"application {pk}: a draft with a registration number")
        if state not in (State.DRAFT, State.WITHDRAWN) and pk not in latest:
            problems.append(f"application {pk}: {state} without a submitted version")
        if waiting.get(pk, 0) > 1:
            problems.append(f"application {pk}: two proposals waiting")
        decision = effective.get(pk)
        if decision is not None:
            if state not in DECIDED_STATES[decision.outcome]:
                problems.append(f"application {pk}: {state} after {decision.outcome}")
            committed[application.call_id] = (
                committed.get(application.call_id, 0) + decision.granted_amount
            )
    planned: dict[int, int] = {}
    paid: dict[int, int] = {}
    for payment in Payment.objects.all():
        planned[payment.application_id] = (
            planned.get(payment.application_id, 0) + payment.planned_amount
        )
        if payment.status == PaymentStatus.PAID:
            paid[payment.application_id] = paid.get(payment.application_id, 0) + payment.amount
    for application_id, total in planned.items():
        decision = effective.get(application_id)
        granted = decision.granted_amount if decision else 0
        if total != granted:
            problems.append(f"application {application_id}: instalments {total} of {granted}")
        if paid.get(application_id, 0) > granted:
            problems.append(f"application {application_id}: paid {paid[application_id]}")

    for call in Call.objects.all():
        if committed.get(call.pk, 0) > call.budget:
            problems.append(f"call {call.slug}: {committed[call.pk]} committed of {call.budget}")

    active = Assignment.objects.filter(removed_at__isnull=True).select_related("application")
    by_call: dict[int, set] = {}
    for assignment in active:
        by_call.setdefault(assignment.application.call_id, set()).add(
            (assignment.member_id, assignment.application_id)
        )
    for call in Call.objects.filter(pk__in=by_call):
        for pair in by_call[call.pk] & conflict_pairs(call):
            problems.append(f"call {call.slug}: reviewer {pair[0]} assigned despite a conflict")

    for score in Score.objects.select_related("criterion").exclude(value=None):
        criterion = score.criterion
        if not criterion.scale_min <= score.value <= criterion.scale_max:
            problems.append(f"score {score.pk}: {score.value} off the scale of {criterion.pk}")

    admins = set(Membership.objects.filter(is_admin=True).values_list("organisation_id", flat=True))
    for organisation_id in set(Membership.objects.values_list("organisation_id", flat=True)):
        if organisation_id not in admins:
            problems.append(f"organisation {organisation_id}: members but no administrator")
    return problems


def invalid_state(before: dict) -> tuple[list[str], bool]:
    """What is wrong with the database, and whether anything changed since ``before``.

    Nothing to look at when nothing changed: the state before was checked (the world by its own
    test, the rest made by the services).
    """
    now = snapshot()
    if now == before:
        return [], False
    return invalid_rows(before, now) + broken_rules(), True


def test_the_world_itself_is_valid(world):
    assert invalid_state(before={}) == ([], True)


# -- posting ----------------------------------------------------------------------------------


class ErrorRecords(logging.Handler):
    """Collects every record of level ERROR and above, from any logger but ``django.security``:
    Django logs there, as errors, the requests it refuses as suspicious (too big, too many
    fields) with a 400, which is the right answer to them."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records = []

    def emit(self, record):
        if not record.name.startswith("django.security"):
            self.records.append(record)


@dataclass
class Result:
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changed: bool = False  # the request changed the database (it got past the form)


def _send(client, method, url, data):
    if method == "GET":
        # A file cannot travel in a query string: send its name instead.
        query = {
            key: [getattr(v, "name", v) for v in (val if isinstance(val, list) else [val])]
            for key, val in data.items()
        }
        return client.get(url, query)
    for item in data.values():
        for upload in item if isinstance(item, list) else [item]:
            if hasattr(upload, "seek"):
                upload.seek(0)  # hypothesis may hand the same file to a second example
    return client.post(url, data)


def post_once(client, case: FormCase, world: World, url: str, data: dict, before) -> Result:
    """One example: the request (and the follow-up), checked, in a savepoint rolled back."""
    result = Result()
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    cookies = deepcopy(client.cookies)
    try:
        with transaction.atomic():
            responses = [_send(client, case.method, url, data)]
            if case.then is not None:
                # The submit's declaration ticked, so the example reaches the service.
                responses.append(client.post(case.then(world), {"declaration": "on"}))
            for response in responses:
                result.statuses.append(response.status_code)
                if response.streaming:
                    b"".join(response.streaming_content)
            result.problems, result.changed = invalid_state(before)
            transaction.set_rollback(True)
    finally:
        root.removeHandler(handler)
        client.cookies = cookies
    result.errors = [f"{r.name}: {r.getMessage()}" for r in handler.records]
    return result


def logged_in(world: World, case: FormCase) -> Client:
    client = Client(raise_request_exception=False)
    user = case.user(world) if case.user else world.user(case.role)
    if user is not None:
        client.force_login(user)  # the suite's conftest passes the second factor too
        if not case.verified:
            session = client.session
            session.pop(DEVICE_ID_SESSION_KEY, None)
            session.save()
    return client


@pytest.mark.parametrize("case", FORMS, ids=lambda case: case.name)
def test_form_never_fails_and_never_stores_an_invalid_state(world, case):
    client = logged_in(world, case)
    url = case.url(world, client)
    fields = case.fields(world)
    before = snapshot()

    @settings(
        max_examples=case.examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=payloads(fields, case.valid(world) if case.valid else None))
    def post(data):
        result = post_once(client, case, world, url, data, before)
        seen[(*result.statuses, "changed" if result.changed else "unchanged")] += 1
        assert all(status < 500 for status in result.statuses), result.statuses
        assert result.errors == []
        assert result.problems == []

    seen = Counter()
    post()
    if os.environ.get("FUZZ_STATS"):
        print(f"\n{case.name}: {dict(seen)}")


def _integer_names(case: FormCase, world: World, data: dict) -> list[str]:
    """The whole-number fields of a well filled-in form, the first row only of a formset (its
    other rows are the same form) and not its management form (a formset's own limits)."""
    fields = case.fields(world)
    return [
        name
        for name in data
        if fields.get(name, Kind("text")).name == "int"
        and not name.endswith("_FORMS")
        and not any(f"-{index}-" in name for index in range(1, 60))
    ]


WITH_INTEGERS = [case for case in FORMS if case.valid is not None] + [
    case for case in FORMS if case.name == "audit_log"
]


@pytest.mark.parametrize("case", WITH_INTEGERS, ids=lambda case: case.name)
def test_integers_at_the_limits_of_their_column_are_refused_not_a_500(world, case):
    """Each whole-number field of each form, in a form otherwise filled in well, posted with
    each value of ``INTEGER_LIMITS``: no 5xx, no error logged, nothing stored out of its
    column's range (``invalid_state`` checks the ranges as PostgreSQL has them)."""
    client = logged_in(world, case)
    url = case.url(world, client)
    before = snapshot()

    @settings(max_examples=1, deadline=None, database=None, derandomize=True)
    @given(data=case.valid(world) if case.valid else st.just({}))
    def post(data):
        names = _integer_names(case, world, data) or (
            [name for name, kind in case.fields(world).items() if kind.name == "int"]
        )
        if not names:
            return
        for name in names:
            for limit in INTEGER_LIMITS:
                result = post_once(client, case, world, url, {**data, name: limit}, before)
                assert all(status < 500 for status in result.statuses), (name, limit, result)
                assert result.errors == [], (name, limit)
                assert result.problems == [], (name, limit)

    post()


# -- what the fuzz found --------------------------------------------------------------------------


def _budget_post(application, lines: int) -> dict:
    data = {
        "title": application.title,
        "language": "en",
        "requested_amount": str(lines * 100),
        "edit_version": str(Application.objects.get(pk=application.pk).edit_version),
        "budget-TOTAL_FORMS": str(lines),
        "budget-INITIAL_FORMS": "0",
    }
    for index in range(lines):
        data |= {
            f"budget-{index}-category": "hub",
            f"budget-{index}-description": f"Line {index}",
            f"budget-{index}-amount": "100",
        }
    return data


def test_a_budget_of_more_than_fifty_lines_is_refused_and_nothing_is_saved(client):
    application = factories.ApplicationFactory()
    client.force_login(factories.applicant_for(application, user__language="en"))
    url = reverse("applications:edit", args=[application.pk])

    response = client.post(url, _budget_post(application, 51))

    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == ["Please submit at most 50 forms."]
    assert application.budget_lines.count() == 2
    assert client.post(url, _budget_post(application, 50)).status_code == 302
    assert application.budget_lines.count() == 50


def test_a_huge_form_count_is_refused_without_making_a_thousand_rows(client):
    application = factories.ApplicationFactory()
    client.force_login(factories.applicant_for(application, user__language="en"))
    url = reverse("applications:edit", args=[application.pk])

    response = client.post(url, {"budget-TOTAL_FORMS": "100000", "budget-INITIAL_FORMS": "0"})

    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 50
    assert response.context["formset"].non_form_errors() == ["Please submit at most 50 forms."]


def _criteria_post(rows: int) -> dict:
    data = {
        "criteria-TOTAL_FORMS": str(rows),
        "criteria-INITIAL_FORMS": "0",
        "call-disagreement_spread": "2",
    }
    for index in range(rows):
        data |= {
            f"criteria-{index}-name_sv": f"Kriterium {index}",
            f"criteria-{index}-name_en": f"Criterion {index}",
            f"criteria-{index}-weight": "1",
            f"criteria-{index}-scale_min": "1",
            f"criteria-{index}-scale_max": "7",
        }
    return data


def test_more_than_thirty_criteria_are_refused_and_nothing_is_saved(client):
    call = factories.CallFactory()
    client.force_login(factories.programme_manager(language="en"))
    url = reverse("reviews:criteria", args=[call.slug])

    response = client.post(url, _criteria_post(31))

    assert response.status_code == 200
    assert response.context["formset"].non_form_errors() == ["Please submit at most 30 forms."]
    assert call.criteria.count() == 0
    huge = {"criteria-TOTAL_FORMS": "100000", "criteria-INITIAL_FORMS": "0"}
    assert len(client.post(url, huge).context["formset"].forms) == 30
    assert client.post(url, _criteria_post(30)).status_code == 302
    assert call.criteria.count() == 30


@pytest.mark.parametrize("posted", ["²", "١", "9" * 40, "-1", "1.0", ""])
def test_starting_an_application_for_an_organisation_that_is_no_number_is_404(client, posted):
    call = factories.CallFactory()
    member = factories.MembershipFactory()
    client.force_login(member.user)

    response = client.post(
        reverse("applications:application_create", args=[call.slug]), {"organisation": posted}
    )

    assert response.status_code == 404
    assert not call.applications.exists()


def test_confirming_selected_decisions_skips_ids_that_are_no_numbers(
    client, django_capture_on_commit_callbacks
):
    programme_manager = factories.programme_manager()
    (application,) = factories.reviewed_applications(factories.CallFactory(), by=programme_manager)
    proposal = factories.proposed_decision(application, by=programme_manager)
    client.force_login(factories.decision_maker(language="en"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("applications:decisions_confirm_selected"),
            {"decision": ["9" * 40, "²", "٣", str(proposal.pk)]},
        )

    assert response.status_code == 303  # to the batch's job page (issue 15)
    proposal.refresh_from_db()
    assert proposal.status == Status.CONFIRMED


@pytest.mark.parametrize("posted", ["0", "dashboard", "applications:dashboard", "//evil.example"])
def test_signing_up_with_a_next_that_is_no_path_answers_check_your_email(client, posted):
    response = client.post(
        reverse("applications:signup"),
        {
            "full_name": "Nora Next",
            "email": "nora@example.se",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "language": "en",
            "next": posted,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:signup_done")


def test_a_login_name_longer_than_any_email_is_refused_and_counted_not_a_500(client):
    from axes.models import AccessAttempt

    response = client.post(
        reverse("login"), {"username": "x" * 300 + "@example.se", "password": "wrong"}
    )

    assert response.status_code == 200
    assert [len(a.username) for a in AccessAttempt.objects.all()] == [254]
