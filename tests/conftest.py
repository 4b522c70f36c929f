import pytest

from tests import factories


@pytest.fixture
def call():
    return factories.CallFactory()


@pytest.fixture
def application(call):
    return factories.ApplicationFactory(call=call)


@pytest.fixture
def applicant(application):
    """An administrator and signatory of the application's organisation."""
    return factories.applicant_for(application, is_admin=True, is_signatory=True)


@pytest.fixture
def other_applicant():
    """A member of another organisation."""
    return factories.MembershipFactory().user


@pytest.fixture
def programme_manager():
    return factories.programme_manager()


@pytest.fixture
def decision_maker():
    return factories.decision_maker()
