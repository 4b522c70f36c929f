"""All test factories, in one place."""

import datetime as dt
import itertools

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from stdnum import luhn

from applications.enums import BudgetCategory, County, VerificationStatus
from applications.models import Application, BudgetLine, Membership, Organisation, User
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from applications.selectors.decisions import effective_decision
from grants.enums import OrganisationKind
from grants.form_defaults import COWORKING_SECTIONS, STANDARD_BUDGET_CATEGORIES, create_definition
from grants.models import Call, Hub

_orgnr_seq = itertools.count(1)


def orgnr(prefix: str = "2120") -> str:
    """A valid organisation number with the given leading digits (public sector: ``2``)."""
    body = f"{prefix}{next(_orgnr_seq):0{9 - len(prefix)}d}"
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.se")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    language = "sv"
    # Verified unless a test says otherwise (``email_verified_at=None``): the unverified
    # account is the exception that its own tests make.
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                # get_or_create: a transactional test's flush removes the groups the data
                # migration made, for the tests that run after it.
                self.groups.add(Group.objects.get_or_create(name=name)[0])
        if create:
            self.save()


def programme_manager(**kwargs) -> User:
    return UserFactory(groups=[PROGRAMME_MANAGERS], **kwargs)


def decision_maker(**kwargs) -> User:
    return UserFactory(groups=[DECISION_MAKERS], **kwargs)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    class Params:
        # ``kind=...`` sets both the declared and the verified kind; a pending organisation
        # is ``verification_status=VerificationStatus.PENDING`` (its verified kind then empty).
        kind = OrganisationKind.MUNICIPALITY

    orgnr = factory.LazyFunction(orgnr)
    name = factory.Sequence(lambda n: f"Kommun {n}")
    declared_kind = factory.SelfAttribute("kind")
    verification_status = VerificationStatus.VERIFIED
    verified_kind = factory.LazyAttribute(
        lambda o: o.kind if o.verification_status == VerificationStatus.VERIFIED else ""
    )
    verified_at = factory.LazyAttribute(
        lambda o: timezone.now() if o.verification_status == VerificationStatus.VERIFIED else None
    )
    county = County.JAMTLAND


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    is_admin = False
    is_signatory = False


class HubFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hub
        django_get_or_create = ("name",)

    name = "Samverket Östersund"
    city = "Östersund"


class CallFactory(factory.django.DjangoModelFactory):
    """An open, published call: opened a week ago, closes in a week."""

    class Meta:
        model = Call
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"call-{n}")
    title_sv = factory.Sequence(lambda n: f"Utlysning {n}")
    title_en = factory.Sequence(lambda n: f"Call {n}")
    summary_sv = "Stöd för att pröva coworking."
    summary_en = "Support to try coworking."
    description_sv = "Utlysningstext."
    description_en = "Call text."
    is_published = True
    opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    budget = 6_000_000
    max_amount = 600_000

    @factory.post_generation
    def hubs(self, create, extracted, **kwargs):
        if create:
            self.hubs.set(extracted if extracted is not None else [HubFactory()])

    @factory.post_generation
    def form(self, create, extracted, **kwargs):
        """The application form: the coworking call's by default; ``form=[...]`` gives the
        sections (``grants.form_defaults`` shape) and ``form__categories=[...]`` the budget
        categories."""
        if create:
            create_definition(
                self,
                sections=COWORKING_SECTIONS if extracted is None else extracted,
                categories=kwargs.get("categories", STANDARD_BUDGET_CATEGORIES),
            )


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with complete content and a budget that adds up: ready to submit."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    created_by = factory.SubFactory(UserFactory)

    class Params:
        # The coworking form's answers, given one by one (``what_to_try=""`` leaves it out).
        what_to_try = "Coworking at the hub for 20 employees."
        participants = 20
        expected_results = "Less commuting, more collaboration."

    title = factory.Sequence(lambda n: f"Hybrid work trial {n}")
    summary = "We try working from the hub two days a week."
    hub = factory.LazyAttribute(lambda o: o.call.hubs.first())
    answers = factory.LazyAttribute(
        lambda o: {
            key: value
            for key, value in (
                ("what_to_try", o.what_to_try),
                ("participants", o.participants),
                ("expected_results", o.expected_results),
            )
            if value not in (None, "")
        }
    )
    period_start = dt.date(2027, 2, 1)
    period_end = dt.date(2027, 12, 31)
    requested_amount = 500_000
    contact_name = "Anna Andersson"
    contact_email = "anna@example.se"

    @factory.post_generation
    def budget(self, create, extracted, **kwargs):
        if not create:
            return
        lines = (
            extracted
            if extracted is not None
            else [
                (BudgetCategory.HUB, "Hub membership", 300_000),
                (BudgetCategory.STAFF, "Project lead", 200_000),
            ]
        )
        for i, (category, description, amount) in enumerate(lines):
            BudgetLine.objects.create(
                application=self,
                category=category,
                description=description,
                amount=amount,
                position=i,
            )


def applicant_for(application: Application, **membership) -> User:
    """A member of the application's organisation."""
    return MembershipFactory(organisation=application.organisation, **membership).user


# -- review ----------------------------------------------------------------------------------


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "grants.Criterion"

    call = factory.SubFactory(CallFactory)
    position = factory.Sequence(lambda n: n)
    name_sv = factory.Sequence(lambda n: f"Kriterium {n}")
    name_en = factory.Sequence(lambda n: f"Criterion {n}")
    weight = 1


class PanelMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reviews.PanelMember"

    call = factory.SubFactory(CallFactory)
    user = factory.SubFactory(UserFactory)
    employer_orgnr = ""


def submitted_application(call=None, **kwargs) -> Application:
    """An application submitted through the service: registration number and frozen version."""
    from applications.services.transitions import application_submit

    application = ApplicationFactory(call=call or CallFactory(), **kwargs)
    application_submit(application=application, by=applicant_for(application))
    application.refresh_from_db()
    return application


def start_review(applications, *, by: User) -> None:
    """Close the applications' calls and put the applications in review through the services.

    The call's ``closes_at`` is moved a minute into the past (the data, not the clock), so a
    test can do this many times, also inside hypothesis examples.
    """
    from applications.enums import EligibilityItem
    from applications.services.transitions import (
        application_check_eligibility,
        application_start_review,
    )

    past = timezone.now() - dt.timedelta(minutes=1)
    Call.objects.filter(pk__in={a.call_id for a in applications}).update(closes_at=past)
    for application in applications:
        application_check_eligibility(
            application=application, by=by, items=dict.fromkeys(EligibilityItem.values, True)
        )
        application_start_review(application=application, by=by)
        application.refresh_from_db()


def applications_in_review(call, *, by: User, count: int = 1, **kwargs) -> list[Application]:
    """``count`` applications to ``call``, submitted and put in review by ``by``."""
    applications = [submitted_application(call, **kwargs) for _ in range(count)]
    start_review(applications, by=by)
    return applications


def declare_none(member, applications) -> None:
    """The panel member declares no conflict of interest for each application."""
    from reviews.services.conflicts import Declaration, conflicts_declare

    conflicts_declare(
        member=member,
        by=member.user,
        declarations=[Declaration(application_id=a.pk, has_conflict=False) for a in applications],
    )


def submit_review(assignment, scores, *, recommendation="fund", comment="Clear and feasible."):
    """The assigned reviewer saves ``scores`` ({criterion: value}) and submits the review."""
    from reviews.services.reviewing import review_save, review_submit

    user = assignment.member.user
    review_save(
        assignment=assignment,
        by=user,
        scores={criterion.pk: value for criterion, value in scores.items()},
        comment_for_applicant=comment,
        recommendation=recommendation,
    )
    return review_submit(assignment=assignment, by=user)


# -- decisions -------------------------------------------------------------------------------


def reviewed_applications(call, *, by: User, count: int = 1, **kwargs) -> list[Application]:
    """``count`` applications to ``call``, submitted, reviewed and marked reviewed by ``by``."""
    from applications.services.transitions import application_complete_review

    applications = applications_in_review(call, by=by, count=count, **kwargs)
    for application in applications:
        application_complete_review(application=application, by=by)
        application.refresh_from_db()
    return applications


def proposed_decision(application, *, by: User, outcome: str = "approved", **kwargs):
    """A decision proposed through the service; an approval grants what was requested."""
    from applications.services.decisions import decision_propose

    if outcome == "approved":
        kwargs.setdefault("granted_amount", application.requested_amount)
    if outcome == "rejected_ineligible":
        kwargs.setdefault("reason_code", "aim")
    kwargs.setdefault("justification", "Assessed against the call's criteria.")
    return decision_propose(application=application, by=by, outcome=outcome, **kwargs)


# -- follow-up -------------------------------------------------------------------------------


def approved_grant(call=None, *, granted_amount: int | None = None, **kwargs) -> Application:
    """An application approved through the services, confirmed by a second person, its letter
    made and released to the applicant (so ``accept_by`` is set): ready to be accepted."""
    from applications.services.decisions import decision_confirm, decision_release

    manager = programme_manager()
    application = reviewed_applications(call or CallFactory(), by=manager, **kwargs)[0]
    decision = proposed_decision(
        application,
        by=manager,
        granted_amount=granted_amount or application.requested_amount,
        conditions="Report the trial's figures.",
    )
    decision_confirm(decision=decision, by=decision_maker())
    # The letter task runs after commit, which a test's transaction never reaches: make the
    # letter here, which releases the decision when the call does not hold decisions.
    from applications.services.letters import decision_letter_generate

    decision_letter_generate(decision.pk)
    if application.call.hold_decisions_for_release:
        decision_release(decision=decision, by=manager)
    application.refresh_from_db()
    return application


def grant_in_follow_up(call=None, **kwargs) -> Application:
    """An approved grant accepted by a signatory of its organisation: in follow-up, with its
    payment plan and reports. The signatory is ``application.signatory``."""
    from applications.selectors.follow_up import acceptance_text
    from applications.services.follow_up import application_accept_grant

    application = approved_grant(call, **kwargs)
    signatory = applicant_for(application, is_signatory=True)
    decision = effective_decision(application)
    application_accept_grant(
        application=application,
        by=signatory,
        text=acceptance_text(application, decision),
    )
    application.refresh_from_db()
    application.signatory = signatory
    return application


def complete_report(report, *, by: User, spent: list[int] | None = None) -> None:
    """Fill ``report`` in completely (the spent amounts default to each line's budget) and
    submit it."""
    from applications.services.follow_up import report_save, report_submit

    costs = list(report.costs.all())
    amounts = spent if spent is not None else [cost.budgeted for cost in costs]
    report_save(
        report=report,
        by=by,
        what_was_done="Twenty employees worked from the hub two days a week.",
        lessons="Fewer commutes; meetings need a better room.",
        participants=20,
        hub_days=180,
        measures={m["key"]: "4" for m in report.application.call.report_measures},
        total_spent=sum(amounts),
        spent={cost.pk: amount for cost, amount in zip(costs, amounts, strict=True)},
    )
    report_submit(report=report, by=by)
    report.refresh_from_db()


# -- two-factor authentication (django-otp) ----------------------------------------------------


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    """A confirmed authenticator app; its key is django-otp's random default."""

    class Meta:
        model = "otp_totp.TOTPDevice"

    user = factory.SubFactory(UserFactory)
    name = "Authenticator app"
    confirmed = True


def totp_code(device, at: dt.datetime | float | None = None) -> str:
    """The code the person's app shows at ``at`` (a datetime or Unix time; default: now)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at.timestamp() if isinstance(at, dt.datetime) else at
    return f"{totp.token():0{device.digits}d}"


def recovery_codes(user, codes: tuple[str, ...] = ("abcd2345", "efgh6723")) -> list[str]:
    """Confirmed recovery codes (django-otp's static tokens) for ``user``."""
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        device.token_set.create(token=code)
    return list(codes)
