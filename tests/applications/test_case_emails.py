"""The emails of a case's events (issue 14): who gets each, in which language, what it says,
and that it goes out once, after commit.

The applicant's side goes to the organisation's people and the application's contact, in the
application's language; the agency's side to each person, in that person's own language. The
reminders before a deadline are in tests/applications/services/test_deadline_reminders.py.
"""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from applications.enums import PaymentStatus
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm, decision_send_back
from applications.services.follow_up import (
    application_accept_grant,
    payment_mark_paid,
    report_approve,
)
from reviews.services.decisions import decisions_propose_from_ranking
from tests import factories

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
UTC = dt.UTC


def _after_commit(capture, action):
    """Run ``action`` in a transaction; nothing is sent before it commits. Returns the emails
    sent once it has."""
    mail.outbox.clear()
    with capture() as callbacks:
        action()
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    return list(mail.outbox)


def _by_recipient(emails) -> dict:
    """Each email by its one recipient (the agency's emails go to one person each)."""
    assert all(len(email.to) == 1 for email in emails)
    return {email.to[0]: email for email in emails}


def _organisation_recipients(application) -> list[str]:
    members = application.organisation.memberships.values_list("user__email", flat=True)
    return sorted({application.contact_email, *members})


def _html(email) -> str:
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    return html


# -- a proposal waits for a decision maker ------------------------------------------------------


@pytest.fixture
def reviewed(call, programme_manager):
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    return application


def test_a_proposal_is_sent_to_each_decision_maker_in_their_language(
    reviewed, programme_manager, django_capture_on_commit_callbacks
):
    swedish = factories.decision_maker(email="dm.sv@myndigheten.example.se", language="sv")
    english = factories.decision_maker(email="dm.en@myndigheten.example.se", language="en")
    factories.decision_maker(email="gone@myndigheten.example.se", is_active=False)

    emails = _after_commit(
        django_capture_on_commit_callbacks,
        lambda: factories.proposed_decision(reviewed, by=programme_manager, granted_amount=450_000),
    )

    by_recipient = _by_recipient(emails)
    assert sorted(by_recipient) == [english.email, swedish.email]
    number = reviewed.registration_number
    url = "http://testserver/manage/decisions/"
    email = by_recipient[english.email]
    assert email.subject == f"A proposed decision on {number} is waiting for you"
    assert (
        f"A programme manager has proposed a decision on the application {number}, "
        f"“{reviewed.title}” from {reviewed.organisation.name}." in email.body
    )
    assert "Proposed outcome: Approved\n" in email.body
    assert f"Amount to grant: 450{NBSP}000{NBSP}kr" in email.body
    assert "then confirm it or send it back with a comment." in email.body
    assert url in email.body
    assert f'href="{url}"' in _html(email)
    assert "Amount to grant: 450" in _html(email)
    email = by_recipient[swedish.email]
    assert email.subject == f"Ett förslag till beslut om {number} väntar på dig"
    assert "Föreslaget utfall: Beviljad\n" in email.body
    assert f"Belopp att bevilja: 450{NBSP}000{NBSP}kr" in email.body
    assert url in email.body


def test_the_proposer_is_not_told_of_their_own_proposal_and_a_rejection_names_no_amount(
    reviewed, django_capture_on_commit_callbacks
):
    # One person in both groups proposes: the four-eyes rule keeps them from confirming it.
    both = factories.UserFactory(groups=["programme_managers", "decision_makers"])
    other = factories.decision_maker(language="en")

    emails = _after_commit(
        django_capture_on_commit_callbacks,
        lambda: factories.proposed_decision(reviewed, by=both, outcome="rejected"),
    )

    [email] = emails
    assert email.to == [other.email]
    assert "Proposed outcome: Rejected\n" in email.body
    assert "Amount to grant" not in email.body


def test_a_proposed_correction_says_so(
    reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    first = factories.proposed_decision(reviewed, by=programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=first, by=decision_maker)
    decision_maker.language = "en"
    decision_maker.save()

    emails = _after_commit(
        django_capture_on_commit_callbacks,
        lambda: factories.proposed_decision(
            reviewed, by=programme_manager, granted_amount=400_000, supersedes=first
        ),
    )

    [email] = emails
    assert email.to == [decision_maker.email]
    assert "The proposal corrects a decision already made." in email.body


# -- a proposal is sent back ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "subject", "lines"),
    [
        (
            "en",
            "Your proposed decision on {number} was sent back",
            [
                "{name} has sent back your proposed decision on the application {number}",
                "The reason given:\nThe amount is above what the budget line allows.",
                "propose a decision again from the case page.",
            ],
        ),
        (
            "sv",
            "Ditt förslag till beslut om {number} har skickats tillbaka",
            [
                "{name} har skickat tillbaka ditt förslag till beslut om ansökan {number}",
                "Skälet som angavs:\nThe amount is above what the budget line allows.",
                "föreslå ett beslut på nytt från ärendets sida.",
            ],
        ),
    ],
)
def test_a_proposal_sent_back_goes_to_its_proposer_with_the_reason(
    reviewed, django_capture_on_commit_callbacks, language, subject, lines
):
    proposer = factories.programme_manager(language=language)
    factories.programme_manager()  # another programme manager, not told
    decider = factories.decision_maker(full_name="Dora Decider")
    decision = factories.proposed_decision(reviewed, by=proposer)

    emails = _after_commit(
        django_capture_on_commit_callbacks,
        lambda: decision_send_back(
            decision=decision,
            by=decider,
            comment="The amount is above what the budget line allows.",
        ),
    )

    [email] = emails
    assert email.to == [proposer.email]
    number = reviewed.registration_number
    assert email.subject == subject.format(number=number)
    for line in lines:
        assert line.format(name="Dora Decider", number=number) in email.body
    url = f"http://testserver/manage/applications/{reviewed.pk}/"
    assert url in email.body
    assert f'href="{url}"' in _html(email)
    assert "The amount is above what the budget line allows." in _html(email)


# -- a report is submitted -----------------------------------------------------------------------


def _submit_report(application):
    report = application.reports.get()
    factories.complete_report(report, by=application.signatory)
    report.refresh_from_db()
    return report


def _presenter(application):
    return effective_decision(application).proposed_by


def test_a_submitted_report_sends_a_receipt_in_english_and_a_notice_in_swedish(
    django_capture_on_commit_callbacks,
):
    grant = factories.grant_in_follow_up(language="en", contact_email="kontakt@kommun.example.se")
    presenter = _presenter(grant)  # Swedish, as the factory's people are
    factories.programme_manager()  # another programme manager: the grant is not theirs

    with time_machine.travel(dt.datetime(2027, 6, 1, 8, 30, tzinfo=UTC), tick=False):
        emails = _after_commit(django_capture_on_commit_callbacks, lambda: _submit_report(grant))

    receipts = [e for e in emails if e.to != [presenter.email]]
    [receipt] = receipts
    [notice] = [e for e in emails if e.to == [presenter.email]]
    number = grant.registration_number
    assert receipt.to == _organisation_recipients(grant)
    assert receipt.subject == f"We have received the report “Final report” for {number}"
    # 08:30 UTC is 10:30 in Stockholm in summer.
    assert (
        f"received the report “Final report” for the grant {number}, “{grant.title}”, "
        "on 1 June 2027 at 10:30 (Swedish time)." in receipt.body
    )
    assert "What happens next: the agency reviews the report." in receipt.body
    assert f"http://testserver/applications/{grant.pk}/grant/" in receipt.body
    assert notice.subject == f"Rapporten ”Slutrapport” för {number} väntar på granskning"
    assert (
        f"{grant.organisation.name} lämnade in rapporten ”Slutrapport” för bidraget {number}"
        in notice.body
    )
    report = grant.reports.get()
    url = f"http://testserver/manage/applications/{grant.pk}/reports/{report.pk}/"
    assert url in notice.body
    assert f'href="{url}"' in _html(notice)
    # Nobody's personal details in the agency's notice.
    assert grant.contact_email not in notice.body


def test_a_submitted_report_sends_a_receipt_in_swedish_and_a_notice_in_english(
    django_capture_on_commit_callbacks,
):
    grant = factories.grant_in_follow_up(language="sv")
    presenter = _presenter(grant)
    presenter.language = "en"
    presenter.save()

    emails = _after_commit(django_capture_on_commit_callbacks, lambda: _submit_report(grant))

    [notice] = [e for e in emails if e.to == [presenter.email]]
    [receipt] = [e for e in emails if e.to != [presenter.email]]
    number = grant.registration_number
    assert receipt.subject == f"Vi har tagit emot rapporten ”Slutrapport” för {number}"
    assert "Vad händer nu? Myndigheten granskar rapporten." in receipt.body
    assert notice.subject == f"The report “Final report” for {number} is waiting for review"
    assert "review the report, then approve it or return it with a comment." in notice.body


def test_when_the_presenter_has_left_every_programme_manager_is_told_of_a_report(
    django_capture_on_commit_callbacks,
):
    grant = factories.grant_in_follow_up(language="en")
    presenter = _presenter(grant)
    presenter.is_active = False
    presenter.save()
    managers = [factories.programme_manager(), factories.programme_manager(language="en")]

    emails = _after_commit(django_capture_on_commit_callbacks, lambda: _submit_report(grant))

    notices = [e for e in emails if e.to != _organisation_recipients(grant)]
    assert sorted(e.to[0] for e in notices) == sorted(m.email for m in managers)


# -- a grant is accepted -------------------------------------------------------------------------


def _accept(application, signatory):
    application_accept_grant(
        application=application,
        by=signatory,
        text=acceptance_text(application, effective_decision(application)),
    )


def test_an_accepted_grant_is_confirmed_to_the_organisation_with_payments_and_reports(
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(dt.datetime(2026, 12, 10, 9, 0, tzinfo=UTC), tick=False):
        grant = factories.approved_grant(language="en")
    signatory = factories.applicant_for(grant, is_signatory=True)
    presenter = _presenter(grant)

    with time_machine.travel(dt.datetime(2026, 12, 15, 10, 0, tzinfo=UTC), tick=False):
        emails = _after_commit(
            django_capture_on_commit_callbacks, lambda: _accept(grant, signatory)
        )

    assert len(emails) == 2
    [confirmation] = [e for e in emails if e.to == _organisation_recipients(grant)]
    number = grant.registration_number
    assert signatory.email in confirmation.to
    assert confirmation.subject == f"You have accepted the grant {number}"
    assert (
        f"The grant for the application {number}, “{grant.title}”, was accepted on "
        "15 December 2026." in confirmation.body
    )
    # The factories' 500 000 kr: 80 % on acceptance, 20 % after the final report.
    assert f"- 400{NBSP}000{NBSP}kr, paid out shortly\n" in confirmation.body
    assert f"- 100{NBSP}000{NBSP}kr, paid when the final report is approved\n" in confirmation.body
    assert "- Final report, due 29 February 2028\n" in confirmation.body
    assert "You will get a reminder before each report is due." in confirmation.body
    assert f"http://testserver/applications/{grant.pk}/grant/" in confirmation.body
    assert "<li>Final report, due 29 February 2028</li>" in _html(confirmation)

    [notice] = [e for e in emails if e.to == [presenter.email]]
    assert notice.subject == f"Bidraget {number} har accepterats"
    assert f"{grant.organisation.name} tackade ja till bidraget för ansökan {number}" in notice.body
    assert f"- Delutbetalning 1: 400{NBSP}000{NBSP}kr\n" in notice.body
    assert f"http://testserver/manage/applications/{grant.pk}/follow-up/" in notice.body


def test_an_accepted_grant_is_confirmed_in_swedish_and_noticed_in_english(
    django_capture_on_commit_callbacks,
):
    grant = factories.approved_grant(language="sv")
    signatory = factories.applicant_for(grant, is_signatory=True)
    presenter = _presenter(grant)
    presenter.language = "en"
    presenter.save()

    emails = _after_commit(django_capture_on_commit_callbacks, lambda: _accept(grant, signatory))

    [confirmation] = [e for e in emails if e.to == _organisation_recipients(grant)]
    [notice] = [e for e in emails if e.to == [presenter.email]]
    number = grant.registration_number
    assert confirmation.subject == f"Ni har tackat ja till bidraget {number}"
    assert f"- 400{NBSP}000{NBSP}kr, betalas ut inom kort\n" in confirmation.body
    assert (
        f"- 100{NBSP}000{NBSP}kr, betalas ut när slutrapporten har godkänts\n" in confirmation.body
    )
    assert "- Slutrapport, senast 29 februari 2028\n" in confirmation.body
    assert notice.subject == f"The grant {number} has been accepted"
    assert "pay the instalments now due and record each payment" in notice.body
    assert f"- Instalment 1: 400{NBSP}000{NBSP}kr\n" in notice.body


# -- an instalment is paid -------------------------------------------------------------------------


def _pay(payment, by, day=dt.date(2027, 2, 1), reference=""):
    with time_machine.travel(dt.datetime(2027, 2, 2, 10, 0, tzinfo=UTC), tick=False):
        payment_mark_paid(payment=payment, by=by, paid_on=day, reference=reference)


def test_a_paid_instalment_tells_the_organisation_the_amount_and_what_comes_next(
    programme_manager, django_capture_on_commit_callbacks
):
    grant = factories.grant_in_follow_up(language="en")
    first = grant.payments.get(position=1)

    emails = _after_commit(
        django_capture_on_commit_callbacks,
        lambda: _pay(first, programme_manager, reference="VER-2027-118"),
    )

    [email] = emails
    number = grant.registration_number
    assert email.to == _organisation_recipients(grant)
    # The subject is folded onto one line, its non-breaking spaces with it.
    assert email.subject == f"400 000 kr paid for the grant {number}"
    assert (
        f"has paid instalment 1 of the grant {number}, “{grant.title}”: "
        f"400{NBSP}000{NBSP}kr, on 1 February 2027." in email.body
    )
    assert "Payment reference: VER-2027-118" in email.body
    assert (
        f"The next instalment, 100{NBSP}000{NBSP}kr, is paid when the final report is "
        "approved." in email.body
    )
    assert "The next report to hand in is “Final report”, due 29 February 2028." in email.body
    assert f"http://testserver/applications/{grant.pk}/grant/" in email.body
    assert "Payment reference: VER-2027-118" in _html(email)


def test_the_last_instalment_says_it_was_the_last_in_swedish(
    programme_manager, django_capture_on_commit_callbacks
):
    grant = factories.grant_in_follow_up(language="sv")
    _pay(grant.payments.get(position=1), programme_manager)
    report = grant.reports.get()
    factories.complete_report(report, by=grant.signatory)
    report_approve(report=report, by=programme_manager)
    last = grant.payments.get(position=2)
    assert last.status == PaymentStatus.DUE

    emails = _after_commit(
        django_capture_on_commit_callbacks, lambda: _pay(last, programme_manager)
    )

    [email] = emails
    assert email.subject == f"100 000 kr utbetalt för bidraget {grant.registration_number}"
    assert "Det här var bidragets sista delutbetalning." in email.body
    assert "Betalningsreferens" not in email.body
    assert "Nästa rapport" not in email.body


# -- proposals from the ranking ----------------------------------------------------------------


def test_proposals_from_the_ranking_send_each_decision_maker_one_email_listing_them(
    programme_manager, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(budget=600_000, title_en="Hybrid work 2027")
    applications = factories.reviewed_applications(call, by=programme_manager, count=2)
    english = factories.decision_maker(language="en")
    swedish = factories.decision_maker(language="sv")
    result = []

    emails = _after_commit(
        django_capture_on_commit_callbacks,
        lambda: result.append(
            decisions_propose_from_ranking(
                call=call,
                by=programme_manager,
                approve_justification="Above the line.",
                reject_justification="Below the line.",
            )
        ),
    )

    assert len(emails) == 2  # one each, not one per proposal
    by_recipient = _by_recipient(emails)
    assert sorted(by_recipient) == sorted([english.email, swedish.email])
    lines = sorted(
        f"- {d.application.registration_number}, {d.application.organisation.name}: "
        + (f"Approved, 500{NBSP}000{NBSP}kr" if d.outcome == "approved" else "Rejected")
        for d in result[0].proposed
    )
    assert len(lines) == 2
    email = by_recipient[english.email]
    assert email.subject == "2 proposed decisions in Hybrid work 2027 are waiting for you"
    assert (
        "A programme manager has proposed 2 decisions from the ranking of Hybrid work 2027."
        in email.body
    )
    for line in lines:
        assert line + "\n" in email.body
    assert "http://testserver/manage/decisions/" in email.body
    email = by_recipient[swedish.email]
    assert email.subject == f"2 förslag till beslut i {call.title_sv} väntar på dig"
    swedish_outcome = {"approved": f"Beviljad, 500{NBSP}000{NBSP}kr", "rejected": "Avslagen"}
    for d in result[0].proposed:
        assert (
            f"- {d.application.registration_number}, {d.application.organisation.name}: "
            f"{swedish_outcome[d.outcome]}\n" in email.body
        )
    assert {a.pk for a in applications} == {d.application_id for d in result[0].proposed}
