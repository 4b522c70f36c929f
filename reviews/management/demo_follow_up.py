"""The demo's earlier round in follow-up, made through the services at the moments it would
have happened (time travel): a part of `manage.py seed_demo`."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from applications.enums import (
    ApplicationState,
    DecisionOutcome,
    DecisionStatus,
    EligibilityItem,
    PaymentStatus,
    ReportKind,
    ReportStatus,
)
from applications.models import Application, Organisation
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm, decision_propose
from applications.services.follow_up import (
    application_accept_grant,
    application_close,
    payment_mark_paid,
    report_approve,
    report_save,
    report_submit,
)
from applications.services.letters import closing_letter_generate, decision_letter_generate
from applications.services.transitions import (
    application_check_eligibility,
    application_complete_review,
    application_start_review,
    application_submit,
)
from applications.services.working_copy import application_create, application_update
from grants.models import Call, Criterion

from .demo_data import (
    CALL_DESCRIPTION_EN,
    CALL_DESCRIPTION_SV,
    CRITERIA,
    FOLLOW_UP_CALL_SLUG,
    FOLLOW_UP_GRANTS,
    FOLLOW_UP_REPORT,
    _content,
    with_coworking_form,
)


class FollowUpDemo:
    """The follow-up part of the seed command (a mixin of ``seed_demo.Command``)."""

    # -- follow-up, made through the services at the moments they would have happened ----------

    def _follow_up(self, people, hubs) -> None:
        """An earlier round (``FOLLOW_UP_CALL_SLUG``) with four grants in follow-up: Krokom's
        closed with its closing letter, Region Jämtland Härjedalen's final report approved with
        money to pay back, Östersund's final report submitted and waiting for the programme
        manager, Norrtälje's first instalment paid and its final report in draft (due in 20
        days). The pilot call's approval waits for acceptance. Each step runs once, at its
        moment (time travel), and only when the grant has not passed it yet."""
        import time_machine  # noqa: PLC0415 -- a dev dependency, like this command

        today = timezone.localdate()

        def on(days: int):
            moment = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10))
            return time_machine.travel(timezone.make_aware(moment), tick=True)

        call = self._follow_up_call(hubs, today)
        manager, decider = people["manager"], people["decider"]
        grants = []
        for stage, person, org_name, title, amount, summary, end, spent in FOLLOW_UP_GRANTS:
            with on(-370), transaction.atomic():
                application = self._follow_up_application(
                    call, people[person], org_name, title, amount, summary, hubs, today, end
                )
            grants.append((stage, people[person], application, spent))

        for _stage, _person, application, _spent in grants:
            application.refresh_from_db()
            if application.state == ApplicationState.SUBMITTED:
                with on(-355), transaction.atomic():
                    application_check_eligibility(
                        application=application,
                        by=manager,
                        items={item: True for item in EligibilityItem.values},
                        comment="Uppfyller utlysningens krav.",
                    )
                    application_start_review(application=application, by=manager)
            application.refresh_from_db()
            if application.state == ApplicationState.IN_REVIEW:
                with on(-350), transaction.atomic():
                    application_complete_review(application=application, by=manager)
            self._follow_up_decision(application, manager, decider, on)

        for stage, person, application, spent in grants:
            self._follow_up_grant(stage, person, application, spent, manager, on)

    def _follow_up_call(self, hubs, today) -> Call:
        start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=420), dt.time(8)))
        with transaction.atomic():
            call, created = Call.objects.get_or_create(
                slug=FOLLOW_UP_CALL_SLUG,
                defaults={
                    "title_sv": "Samverket 2025: coworking i offentlig sektor",
                    "title_en": "Samverket 2025: coworking in the public sector",
                    "summary_sv": "Den första omgången, vars projekt nu redovisas och avslutas.",
                    "summary_en": "The first round, whose projects are now reporting and closing.",
                    "description_sv": CALL_DESCRIPTION_SV,
                    "description_en": CALL_DESCRIPTION_EN,
                    "is_published": True,
                    "opens_at": start,
                    "closes_at": start + dt.timedelta(days=60, hours=15, minutes=59),
                    "budget": 2_000_000,
                    "max_amount": 500_000,
                },
            )
            if created:
                call.hubs.set(hubs.values())
            with_coworking_form(call)
            for position, (name_sv, name_en, guide_sv, guide_en, weight, threshold) in enumerate(
                CRITERIA
            ):
                Criterion.objects.get_or_create(
                    call=call,
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
        return call

    def _follow_up_application(
        self, call, person, org_name, title, amount, summary, hubs, today, end
    ) -> Application:
        organisation = Organisation.objects.get(name=org_name)
        existing = Application.objects.filter(call=call, organisation=organisation, title=title)
        if existing.exists():
            return existing.get()
        application = application_create(call=call, organisation=organisation, by=person)
        data, lines = _content(title, hubs["ostersund"], amount, summary)
        data["period_start"] = today - dt.timedelta(days=320)
        data["period_end"] = today + dt.timedelta(days=end)
        answers = data.pop("answers")
        application_update(
            application=application, by=person, data=data, budget_lines=lines, answers=answers
        )
        application_submit(application=application, by=person)
        return application

    def _follow_up_decision(self, application, manager, decider, on) -> None:
        """Approved at the amount requested, confirmed by the decision maker, letter made (which
        releases it and starts the time to accept)."""
        application.refresh_from_db()
        if application.state == ApplicationState.REVIEWED and not application.decisions.exists():
            with on(-345), transaction.atomic():
                decision = decision_propose(
                    application=application,
                    by=manager,
                    outcome=DecisionOutcome.APPROVED,
                    granted_amount=application.requested_amount,
                    conditions="Projektet redovisar hur många medarbetare som använt hubben.",
                    justification="Projektet svarar väl mot utlysningens syfte.",
                )
            with on(-344), transaction.atomic():
                decision_confirm(decision=decision, by=decider)
        confirmed = application.decisions.filter(status=DecisionStatus.CONFIRMED).first()
        if confirmed is not None and not hasattr(confirmed, "release"):
            with on(-344):
                decision_letter_generate(confirmed.pk)

    def _follow_up_grant(self, stage, person, application, spent, manager, on) -> None:
        """Acceptance and the first instalment, then the final report as far as ``stage``."""
        application.refresh_from_db()
        if application.state == ApplicationState.APPROVED:
            with on(-335), transaction.atomic():
                application_accept_grant(
                    application=application,
                    by=person,
                    text=acceptance_text(application, effective_decision(application)),
                    # Demo data: the signatory's e-ID signing is simulated.
                    strong_login=True,
                )
        first = application.payments.filter(position=1, status=PaymentStatus.DUE).first()
        if first is not None:
            with on(-325), transaction.atomic():
                payment_mark_paid(
                    payment=first, by=manager, paid_on=timezone.localdate(), reference="F-1001"
                )
        report = application.reports.filter(kind=ReportKind.FINAL).first()
        if report is None:
            return
        end = report.due_on - dt.timedelta(days=application.call.final_report_days)
        days = (end - timezone.localdate()).days  # the project's last day, from today
        if report.status == ReportStatus.DRAFT and not report.what_was_done:
            costs = list(report.costs.all())
            amounts = spent or [cost.budgeted for cost in costs]
            complete = stage != "draft"
            with on(days + 50 if complete else days + 10), transaction.atomic():
                report = report_save(
                    report=report,
                    by=person,
                    **FOLLOW_UP_REPORT,
                    total_spent=sum(amounts) if complete else None,
                    spent={
                        cost.pk: amount if complete else None
                        for cost, amount in zip(costs, amounts, strict=True)
                    },
                )
                if complete:
                    report_submit(report=report, by=person)
        report.refresh_from_db()
        if stage in ("repayment", "closed") and report.status == ReportStatus.SUBMITTED:
            with on(days + 60), transaction.atomic():
                report_approve(report=report, by=manager, comment="Tack för en tydlig redovisning.")
        last = application.payments.filter(status=PaymentStatus.DUE).first()
        if stage == "closed" and last is not None:
            with on(days + 65), transaction.atomic():
                payment_mark_paid(
                    payment=last, by=manager, paid_on=timezone.localdate(), reference="F-1002"
                )
        application.refresh_from_db()
        if stage == "closed" and application.state == ApplicationState.FOLLOW_UP:
            with on(days + 80), transaction.atomic():
                application_close(application=application, by=manager)
        closing = getattr(application, "closing_letter", None)
        if closing is not None and not closing.sha256:
            with on(days + 80):
                closing_letter_generate(closing.pk)
