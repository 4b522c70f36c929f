"""Demo data for a laptop: a call, hubs, organisations, people and applications in several states.

Everything is made through the services, as a real user would, so the demo shows what the code
does rather than what a fixture says. Running it again changes nothing (every object is found
by a natural key first). It refuses to run with DEBUG off unless ``--force``, so a production
database never gets demo logins with a published password.

It lives in ``reviews``, the highest app on the import line, because it makes data of every app
(calls, cases, panels and reviews); from ``applications`` it would import upwards.
"""

import base64
import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from applications.enums import (
    ApplicationState,
    DecisionOutcome,
    DecisionStatus,
    EligibilityItem,
)
from applications.login_security.two_factor import requires_two_factor
from applications.models import Application, Membership, Organisation, User
from applications.services.decisions import decision_confirm, decision_propose, decision_release
from applications.services.letters import decision_letter_generate
from applications.services.transitions import (
    application_check_eligibility,
    application_return_for_completion,
    application_start_review,
    application_submit,
    application_withdraw,
)
from applications.services.working_copy import application_create, application_update
from grants.models import Call, Criterion, Hub
from reviews.models import Assignment, PanelMember
from reviews.selectors.feedback import feedback_for_applicant
from reviews.selectors.scope import declaration_scope
from reviews.services.assignments import assignments_auto
from reviews.services.conflicts import Declaration, conflicts_declare
from reviews.services.panel import panel_invitation_accept, panel_invite
from reviews.services.reviewing import review_complete, review_save, review_submit

from ..demo_data import (
    CALL_DESCRIPTION_EN,
    CALL_DESCRIPTION_SV,
    CALL_SUMMARY_EN,
    CALL_SUMMARY_SV,
    CRITERIA,
    DECLARED_CONFLICTS,
    DEMO_CALL_SLUG,
    DEMO_TOTP_DEVICE,
    DEMO_TOTP_SECRET,
    LOGIN_LABELS,
    ORGANISATIONS,
    PASSWORD,
    PENDING_ORGANISATIONS,
    PEOPLE,
    PILOT_APPLICATIONS,
    PILOT_CALL_SLUG,
    PILOT_PANEL,
    PILOT_READY_FOR_REVIEW,
    REVIEW_SCORES,
    REVIEWER_EMPLOYERS,
    _content,
    organisation_defaults,
    public_orgnr,
    with_coworking_form,
)
from ..demo_follow_up import FollowUpDemo
from ..demo_rooms import RoomsCallDemo


class Command(FollowUpDemo, RoomsCallDemo, BaseCommand):
    help = "Create demo data (idempotent). Refuses to run when DEBUG is off, unless --force."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a production database.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo accounts with a published password. "
                "Run with DJANGO_DEBUG=true, or pass --force if this is not production."
            )
        with transaction.atomic():
            people = self._people()
        hubs = self._hubs()
        with transaction.atomic():
            call = self._open_call(hubs)
        pilot = self._pilot_call(hubs)
        with transaction.atomic():
            rooms = self._rooms_call()
        self._applications(call, pilot, people, hubs)
        self._rooms_applications(rooms, people)
        self._review(call, pilot, people)
        self._decisions(pilot, people)
        self._follow_up(people, hubs)
        self._publication(people)
        self._two_factor(people)
        self._print_logins(people)

    # -- reference data --------------------------------------------------------------------

    def _people(self) -> dict[str, User]:
        organisations = {}
        now = timezone.now()
        for key, (name, body, kind, county) in ORGANISATIONS.items():
            organisations[key], _ = Organisation.objects.get_or_create(
                orgnr=public_orgnr(body),
                defaults=organisation_defaults(name, kind, county, verified=True, at=now),
            )
        for key, (name, body, kind, county) in PENDING_ORGANISATIONS.items():
            organisations[key], _ = Organisation.objects.get_or_create(
                orgnr=public_orgnr(body),
                defaults=organisation_defaults(name, kind, county, verified=False, at=now),
            )
        people = {}
        for key, email, name, org, is_admin, is_signatory, groups, superuser in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=name, is_staff=superuser, is_superuser=superuser)
            # The password is reset on every run so the printed logins always work.
            user.set_password(PASSWORD)
            user.email_verified_at = user.email_verified_at or now
            user.save()
            for group in groups:
                user.groups.add(Group.objects.get(name=group))
            if org:
                Membership.objects.get_or_create(
                    user=user,
                    organisation=organisations[org],
                    defaults={"is_admin": is_admin, "is_signatory": is_signatory},
                )
            people[key] = user
        return people

    def _hubs(self) -> dict[str, Hub]:
        return {
            "stockholm": Hub.objects.get_or_create(
                name="Samverket Stockholm", defaults={"city": "Stockholm"}
            )[0],
            "ostersund": Hub.objects.get_or_create(
                name="Samverket Östersund", defaults={"city": "Östersund"}
            )[0],
        }

    def _open_call(self, hubs) -> Call:
        now = timezone.localtime()
        closes = (now + dt.timedelta(days=21)).replace(hour=23, minute=59, second=0, microsecond=0)
        call, created = Call.objects.get_or_create(
            slug=DEMO_CALL_SLUG,
            defaults={
                "title_sv": "Samverket: pröva coworking och hybridarbete",
                "title_en": "Samverket: try coworking and hybrid work",
                "summary_sv": CALL_SUMMARY_SV,
                "summary_en": CALL_SUMMARY_EN,
                "description_sv": CALL_DESCRIPTION_SV,
                "description_en": CALL_DESCRIPTION_EN,
                "is_published": True,
                "opens_at": (now - dt.timedelta(days=35)).replace(
                    hour=8, minute=0, second=0, microsecond=0
                ),
                "closes_at": closes,
                "budget": 6_000_000,
                "max_amount": 600_000,
                "project_start_earliest": dt.date(2027, 1, 1),
                "project_end_latest": dt.date(2027, 12, 31),
            },
        )
        if created:
            call.hubs.set(hubs.values())
        with_coworking_form(call)
        return call

    def _publication(self, people) -> None:
        """Four eyes on the demo calls too: the programme manager made them, the decision maker
        published them when they opened (a run over an older demo database fills them in)."""
        Call.objects.filter(published_by__isnull=True, is_published=True).update(
            created_by=people["manager"],
            changed_by=people["manager"],
            published_by=people["decider"],
            published_at=F("opens_at"),
        )

    def _pilot_call(self, hubs) -> Call:
        """An earlier, already closed round, so the demo has an application in review."""
        now = timezone.localtime()
        call, created = Call.objects.get_or_create(
            slug=PILOT_CALL_SLUG,
            defaults={
                "title_sv": "Samverket pilot 2026: hybridarbete i Jämtland",
                "title_en": "Samverket pilot 2026: hybrid work in Jämtland",
                "summary_sv": "En första, mindre omgång för organisationer i Jämtlands län.",
                "summary_en": "A first, smaller round for organisations in Jämtland County.",
                "description_sv": CALL_DESCRIPTION_SV,
                "description_en": CALL_DESCRIPTION_EN,
                "is_published": True,
                "opens_at": (now - dt.timedelta(days=120)).replace(
                    hour=8, minute=0, second=0, microsecond=0
                ),
                "closes_at": (now - dt.timedelta(days=30)).replace(
                    hour=23, minute=59, second=0, microsecond=0
                ),
                # Small enough that the ranking's funding line falls inside the demo's list.
                "budget": 1_000_000,
                "max_amount": 400_000,
            },
        )
        if created:
            call.hubs.set([hubs["ostersund"]])
        with_coworking_form(call)
        if not call.hold_decisions_for_release:
            # Confirmed decisions wait in the outbox until the programme manager releases them,
            # so the demo shows the outbox; a run over an older demo database turns it on too.
            call.hold_decisions_for_release = True
            call.save(update_fields=["hold_decisions_for_release"])
        return call

    # -- applications, made through the services ---------------------------------------------

    def _draft(
        self, *, call, by, org_name, title, hub, amount, summary
    ) -> tuple[Application, bool]:
        organisation = Organisation.objects.get(name=org_name)
        existing = Application.objects.filter(call=call, organisation=organisation, title=title)
        if existing.exists():
            return existing.get(), False
        application = application_create(call=call, organisation=organisation, by=by)
        data, lines = _content(title, hub, amount, summary)
        answers = data.pop("answers")
        application = application_update(
            application=application, by=by, data=data, budget_lines=lines, answers=answers
        )
        return application, True

    def _applications(self, call, pilot, people, hubs) -> None:
        applicant, applicant2 = people["applicant"], people["applicant2"]
        manager = people["manager"]

        with transaction.atomic():
            self._draft(
                call=call,
                by=applicant,
                org_name="Östersunds kommun",
                title="Hybridarbete för socialtjänstens handläggare",
                hub=hubs["ostersund"],
                amount=450_000,
                summary="Ett utkast som ännu inte är inskickat.",
            )

        with transaction.atomic():
            application, created = self._draft(
                call=call,
                by=applicant,
                org_name="Östersunds kommun",
                title="Samverket Östersund som andra arbetsplats",
                hub=hubs["ostersund"],
                amount=600_000,
                summary="Tjugofyra medarbetare prövar att arbeta från hubben två dagar i veckan.",
            )
            if created:
                application_submit(application=application, by=applicant)
                # A second version, so the demo shows the version history.
                application_update(
                    application=application,
                    by=applicant,
                    data={},
                    answers={"participants": 30},
                )
                application_submit(application=application, by=applicant)

        with transaction.atomic():
            application, created = self._draft(
                call=call,
                by=applicant2,
                org_name="Krokoms kommun",
                title="Pendlingsfri tisdag i Krokom",
                hub=hubs["ostersund"],
                amount=320_000,
                summary="Medarbetare som pendlar långt arbetar en dag i veckan från hubben.",
            )
            if created:
                application_submit(application=application, by=applicant2)
                application_return_for_completion(
                    application=application,
                    by=manager,
                    message=(
                        "Beskriv hur ni ska mäta resultaten och komplettera budgeten med "
                        "kostnaden för utvärdering."
                    ),
                    deadline=timezone.now() + dt.timedelta(days=10),
                )

        with transaction.atomic():
            application, created = self._draft(
                call=call,
                by=people["applicant3"],
                org_name="Region Jämtland Härjedalen",
                title="Vårdadministration i delad arbetsplats",
                hub=hubs["stockholm"],
                amount=500_000,
                summary="Administrativ personal prövar att arbeta från Samverket Stockholm.",
            )
            if created:
                application_submit(application=application, by=people["applicant3"])
                application_withdraw(
                    application=application,
                    by=people["applicant3"],
                    reason="Projektet ryms inte i verksamhetsplanen för nästa år.",
                )

        self._in_review(pilot, people, hubs)
        self._ready_for_review(pilot, people, hubs)

    def _in_review(self, pilot, people, hubs) -> None:
        """Submit to the pilot call while it was open (time travel), then start review."""
        import time_machine  # noqa: PLC0415 -- a dev dependency, like this command

        manager = people["manager"]
        while_open = pilot.closes_at - dt.timedelta(days=10)
        for person, org_name, title, amount, summary in PILOT_APPLICATIONS:
            with time_machine.travel(while_open, tick=True), transaction.atomic():
                application, created = self._draft(
                    call=pilot,
                    by=people[person],
                    org_name=org_name,
                    title=title,
                    hub=hubs["ostersund"],
                    amount=amount,
                    summary=summary,
                )
                if created:
                    application_submit(application=application, by=people[person])
            application.refresh_from_db()
            if application.state != ApplicationState.SUBMITTED:
                continue
            with transaction.atomic():
                application_check_eligibility(
                    application=application,
                    by=manager,
                    items={item: True for item in EligibilityItem.values},
                    comment="Uppfyller utlysningens krav.",
                )
                application_start_review(application=application, by=manager)

    def _ready_for_review(self, pilot, people, hubs) -> None:
        """Submitted to the pilot call while it was open and left there: the call has closed,
        so the programme manager can check its eligibility and start its review."""
        import time_machine  # noqa: PLC0415 -- a dev dependency, like this command

        person, org_name, title, amount, summary = PILOT_READY_FOR_REVIEW
        with (
            time_machine.travel(pilot.closes_at - dt.timedelta(days=3), tick=True),
            transaction.atomic(),
        ):
            application, created = self._draft(
                call=pilot,
                by=people[person],
                org_name=org_name,
                title=title,
                hub=hubs["ostersund"],
                amount=amount,
                summary=summary,
            )
            if created:
                application_submit(application=application, by=people[person])

    # -- review, made through the review services ---------------------------------------------

    def _review(self, call, pilot, people) -> None:
        """Criteria for both calls; a panel for each; declarations, assignments and reviews in
        the pilot call, so the ranking has content and a funding line."""
        for demo_call in (call, pilot):
            for position, (name_sv, name_en, guide_sv, guide_en, weight, threshold) in enumerate(
                CRITERIA
            ):
                Criterion.objects.get_or_create(
                    call=demo_call,
                    position=position,
                    defaults={
                        "name_sv": name_sv,
                        "name_en": name_en,
                        "guidance_sv": guide_sv,
                        "guidance_en": guide_en,
                        "weight": weight,
                        "threshold": threshold,
                    },
                )
        manager = people["manager"]
        members = {}
        for demo_call, key in [(call, "reviewer"), *[(pilot, k) for k in PILOT_PANEL]]:
            user = people[key]
            member = PanelMember.objects.filter(call=demo_call, user=user).first()
            if member is None:
                with transaction.atomic():
                    invitation = panel_invite(call=demo_call, by=manager, email=user.email)
                    orgnr, employer = REVIEWER_EMPLOYERS[key]
                    member = panel_invitation_accept(
                        invitation=invitation,
                        by=user,
                        employer_orgnr=orgnr,
                        employer_name=employer,
                    )
            if demo_call == pilot:
                members[key] = member

        # Declarations: every reviewer of the pilot declares for every application; one has a
        # conflict (and Per Nilsson's employer is an applicant: a conflict found by itself).
        scope = list(declaration_scope(pilot))
        for key, member in members.items():
            pending = [
                a for a in scope if not a.conflict_declarations.filter(member=member).exists()
            ]
            if not pending:
                continue
            declarations = []
            for application in pending:
                ground, comment = DECLARED_CONFLICTS.get(
                    (key, application.organisation.name), ("", "")
                )
                declarations.append(
                    Declaration(
                        application_id=application.pk,
                        has_conflict=bool(ground),
                        ground=ground,
                        comment=comment,
                    )
                )
            with transaction.atomic():
                conflicts_declare(member=member, by=member.user, declarations=declarations)

        assignments_auto(call=pilot, by=manager)

        criteria = list(pilot.criteria.order_by("position"))
        assignments = Assignment.objects.filter(
            application__call=pilot, removed_at__isnull=True
        ).select_related("member__user", "application__organisation")
        for assignment in assignments:
            key = next(k for k, m in members.items() if m.pk == assignment.member_id)
            organisation = assignment.application.organisation.name
            if (key, organisation) not in REVIEW_SCORES:
                continue  # left for the demo reviewer to do
            review = getattr(assignment, "review", None)
            if review is not None and review.is_submitted:
                continue
            scores, recommendation, comment = REVIEW_SCORES[(key, organisation)]
            with transaction.atomic():
                review_save(
                    assignment=assignment,
                    by=assignment.member.user,
                    scores={c.pk: value for c, value in zip(criteria, scores, strict=True)},
                    comment_for_applicant=comment,
                    internal_comment="",
                    recommendation=recommendation,
                )
                review_submit(assignment=assignment, by=assignment.member.user)

    # -- decisions, made through the services ------------------------------------------------

    def _decisions(self, pilot, people) -> None:
        """In the pilot call: Region Jämtland Härjedalen approved (confirmed by the decision
        maker, with its letter), and Norrtälje kommun's review completed by the programme
        manager with a rejection proposed and waiting for the decision maker."""
        manager, decider = people["manager"], people["decider"]
        region = Application.objects.get(
            call=pilot, organisation__name="Region Jämtland Härjedalen"
        )
        if region.state == ApplicationState.REVIEWED and not region.decisions.exists():
            with transaction.atomic():
                decision = decision_propose(
                    application=region,
                    by=manager,
                    outcome=DecisionOutcome.APPROVED,
                    granted_amount=350_000,
                    conditions="Projektet redovisar hur många medarbetare som använt hubben.",
                    justification=(
                        "Projektet svarar väl mot utlysningens syfte och rymdes inom budgeten."
                    ),
                    feedback=feedback_for_applicant(region),
                )
            with transaction.atomic():
                decision_confirm(decision=decision, by=decider)
        confirmed = region.decisions.filter(status=DecisionStatus.CONFIRMED).first()
        if confirmed is not None:
            # Made here too, so the demo has the letter without a task worker; once only.
            decision_letter_generate(confirmed.pk)
            # The call holds its decisions: the programme manager sends this one out, so it
            # waits for the applicant's acceptance (a second run releases nothing).
            with transaction.atomic():
                decision_release(decision=confirmed, by=manager)

        norrtalje = Application.objects.get(call=pilot, organisation__name="Norrtälje kommun")
        if norrtalje.state == ApplicationState.IN_REVIEW:
            with transaction.atomic():
                review_complete(application=norrtalje, by=manager)
            norrtalje.refresh_from_db()
        if norrtalje.state == ApplicationState.REVIEWED and not norrtalje.decisions.exists():
            with transaction.atomic():
                decision_propose(
                    application=norrtalje,
                    by=manager,
                    outcome=DecisionOutcome.REJECTED,
                    justification=(
                        "Projektet når inte tröskeln för relevans: det prövar inte coworking "
                        "i den mening utlysningen avser."
                    ),
                    feedback=feedback_for_applicant(norrtalje),
                )

    def _two_factor(self, people) -> None:
        """The demo authenticator for everyone whose role needs the second factor."""
        key = base64.b32decode(DEMO_TOTP_SECRET).hex()
        for user in people.values():
            if requires_two_factor(user):
                TOTPDevice.objects.update_or_create(
                    user=user,
                    name=DEMO_TOTP_DEVICE,
                    defaults={"key": key, "confirmed": True, "drift": 0, "last_t": -1},
                )

    def _print_logins(self, people) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /account/login/ as:"))
        for key, label in LOGIN_LABELS.items():
            self.stdout.write(f"  {people[key].email:<42} {label}")
        self.stdout.write(f"Password for every demo account: {PASSWORD}")
        self.stdout.write(
            "Staff, reviewers and the admin also type a code from an authenticator app: add the "
            f"key {DEMO_TOTP_SECRET} to one, or run `python manage.py demo_otp_codes`."
        )
