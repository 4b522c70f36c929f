"""A confirmed decision and its letter are never changed or deleted; a correction is new.

The model refuses on every database (``save``, ``delete``, and the querysets' ``update`` and
``delete``); on PostgreSQL a trigger also refuses raw SQL.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.utils import translation

from applications.models import Decision, DecisionLetter, ImmutableDecision
from applications.selectors.decisions import call_committed_amount, effective_decision
from applications.services.decisions import decision_confirm, decision_send_back
from tests import factories

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger is PostgreSQL's (set DATABASE_URL)"
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def reviewed(call, programme_manager):
    (application,) = factories.reviewed_applications(call, by=programme_manager)
    return application


@pytest.fixture
def confirmed(reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks):
    """A confirmed approval of 500 000 kr with its letter."""
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=decision, by=decision_maker)
    return Decision.objects.get(pk=decision.pk)


def _stored(decision) -> dict:
    return model_to_dict(Decision.objects.get(pk=decision.pk))


def _stored_letter(letter) -> tuple:
    stored = DecisionLetter.objects.get(pk=letter.pk)
    return stored.file.name, stored.sha256, stored.size, stored.decision_id


# -- decisions -------------------------------------------------------------------------------


def test_a_confirmed_decision_cannot_be_saved(confirmed):
    before = _stored(confirmed)
    confirmed.granted_amount = 1
    confirmed.justification = "Rewritten."

    with pytest.raises(ImmutableDecision):
        confirmed.save()

    assert _stored(confirmed) == before


def test_a_stale_copy_read_before_confirmation_cannot_overwrite_it(
    reviewed, programme_manager, decision_maker
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    stale = Decision.objects.get(pk=decision.pk)
    decision_confirm(decision=decision, by=decision_maker)
    before = _stored(decision)

    stale.conditions = "Added afterwards."
    with pytest.raises(ImmutableDecision):
        stale.save()

    assert _stored(decision) == before


def test_a_confirmed_decision_cannot_be_deleted(confirmed):
    with pytest.raises(ImmutableDecision):
        confirmed.delete()

    assert Decision.objects.filter(pk=confirmed.pk).exists()


def test_a_confirmed_decision_cannot_be_bulk_updated(confirmed):
    before = _stored(confirmed)

    with pytest.raises(ImmutableDecision):
        Decision.objects.filter(pk=confirmed.pk).update(granted_amount=1)

    assert _stored(confirmed) == before


def test_a_bulk_update_touching_one_confirmed_decision_changes_none(
    call, programme_manager, decision_maker
):
    done, waiting = factories.reviewed_applications(call, by=programme_manager, count=2)
    confirmed = factories.proposed_decision(done, by=programme_manager)
    decision_confirm(decision=confirmed, by=decision_maker)
    proposed = factories.proposed_decision(waiting, by=programme_manager)

    with pytest.raises(ImmutableDecision):
        Decision.objects.all().update(conditions="Everyone reports weekly.")

    assert list(Decision.objects.values_list("conditions", flat=True)) == ["", ""]
    assert proposed.pk in Decision.objects.values_list("pk", flat=True)


def test_a_confirmed_decision_cannot_be_bulk_deleted(confirmed):
    with pytest.raises(ImmutableDecision):
        Decision.objects.filter(pk=confirmed.pk).delete()
    with pytest.raises(ImmutableDecision):
        Decision.objects.all().delete()

    assert Decision.objects.filter(pk=confirmed.pk).exists()


def test_a_proposal_can_still_be_changed_and_withdrawn_before_confirmation(
    reviewed, programme_manager
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    Decision.objects.filter(pk=decision.pk).update(conditions="Report twice.")
    decision.refresh_from_db()
    decision.justification = "Better reasons."
    decision.save()
    assert _stored(decision)["justification"] == "Better reasons."
    assert _stored(decision)["conditions"] == "Report twice."

    decision.delete()
    assert not Decision.objects.exists()


# -- letters ---------------------------------------------------------------------------------


def test_a_letter_cannot_be_saved_again(confirmed):
    letter = confirmed.letter
    before = _stored_letter(letter)
    letter.sha256 = "0" * 64

    with pytest.raises(ImmutableDecision):
        letter.save()

    assert _stored_letter(letter) == before


def test_a_letter_cannot_be_deleted(confirmed):
    letter = confirmed.letter

    with pytest.raises(ImmutableDecision):
        letter.delete()
    with pytest.raises(ImmutableDecision):
        DecisionLetter.objects.filter(pk=letter.pk).delete()

    assert DecisionLetter.objects.filter(pk=letter.pk).exists()
    assert letter.file.storage.exists(letter.file.name)


def test_a_letter_cannot_be_bulk_updated(confirmed):
    letter = confirmed.letter
    before = _stored_letter(letter)

    with pytest.raises(ImmutableDecision):
        DecisionLetter.objects.filter(pk=letter.pk).update(sha256="0" * 64)

    assert _stored_letter(letter) == before


# -- PostgreSQL: the trigger below the application ---------------------------------------------


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@postgres_only
def test_raw_sql_cannot_update_a_confirmed_decision(confirmed):
    before = _stored(confirmed)

    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw("UPDATE applications_decision SET granted_amount = 1 WHERE id = %s", [confirmed.pk])

    assert _stored(confirmed) == before


@postgres_only
def test_raw_sql_cannot_delete_a_confirmed_decision(confirmed):
    letter_pk = confirmed.letter.pk
    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw("DELETE FROM applications_decisionletter WHERE id = %s", [letter_pk])
    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw("DELETE FROM applications_decision WHERE status = 'confirmed'", [])

    assert Decision.objects.filter(pk=confirmed.pk).exists()
    assert DecisionLetter.objects.filter(pk=letter_pk).exists()


@postgres_only
def test_raw_sql_cannot_delete_a_confirmed_decision_without_a_letter(
    reviewed, programme_manager, decision_maker
):
    decision = factories.proposed_decision(reviewed, by=programme_manager)
    decision_confirm(decision=decision, by=decision_maker)  # letter task not run

    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw("DELETE FROM applications_decision WHERE id = %s", [decision.pk])

    assert Decision.objects.filter(pk=decision.pk).exists()


@postgres_only
def test_raw_sql_cannot_update_a_letter(confirmed):
    letter = confirmed.letter
    before = _stored_letter(letter)

    with pytest.raises(IntegrityError, match="never changed or deleted"):
        _raw(
            "UPDATE applications_decisionletter SET sha256 = %s WHERE id = %s",
            ["0" * 64, letter.pk],
        )

    assert _stored_letter(letter) == before


@postgres_only
def test_raw_sql_may_still_change_a_proposal(reviewed, programme_manager):
    decision = factories.proposed_decision(reviewed, by=programme_manager)

    _raw(
        "UPDATE applications_decision SET conditions = 'Report twice.' WHERE id = %s", [decision.pk]
    )

    assert _stored(decision)["conditions"] == "Report twice."


# -- corrections -----------------------------------------------------------------------------


def test_a_correction_is_a_new_decision_and_the_old_one_stays_unchanged(
    confirmed, reviewed, programme_manager, decision_maker, django_capture_on_commit_callbacks
):
    before = _stored(confirmed)
    old_letter = _stored_letter(confirmed.letter)
    correction = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=confirmed
    )

    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=correction, by=decision_maker)

    assert _stored(confirmed) == before
    assert _stored_letter(confirmed.letter) == old_letter
    correction.refresh_from_db()
    assert correction.pk != confirmed.pk
    assert correction.supersedes_id == confirmed.pk
    assert list(confirmed.superseded_by.all()) == [correction]
    assert correction.letter.pk != confirmed.letter.pk
    assert correction.letter.file.name != confirmed.letter.file.name
    assert Decision.objects.count() == 2


def test_effective_decision_and_committed_amount_follow_the_confirmed_correction(
    confirmed, reviewed, programme_manager, decision_maker
):
    call = reviewed.call
    assert effective_decision(reviewed) == confirmed
    assert call_committed_amount(call) == 500_000

    correction = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=confirmed
    )
    # A proposed correction changes nothing yet.
    assert effective_decision(reviewed) == confirmed
    assert call_committed_amount(call) == 500_000

    decision_confirm(decision=correction, by=decision_maker)

    assert effective_decision(reviewed) == correction
    assert call_committed_amount(call) == 400_000

    second = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=450_000, supersedes=correction
    )
    decision_confirm(decision=second, by=decision_maker)

    assert effective_decision(reviewed) == second
    assert call_committed_amount(call) == 450_000
    assert Decision.objects.filter(status="confirmed").count() == 3


def test_a_sent_back_correction_leaves_the_old_decision_in_force(
    confirmed, reviewed, programme_manager, decision_maker
):
    correction = factories.proposed_decision(
        reviewed, by=programme_manager, granted_amount=400_000, supersedes=confirmed
    )

    decision_send_back(decision=correction, by=decision_maker, comment="No change.")

    assert effective_decision(reviewed) == confirmed
    assert call_committed_amount(reviewed.call) == 500_000
