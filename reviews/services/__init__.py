"""Every write of review, one module per feature, one function per use case.

Services check the user's right (``rules``), keep the invariant that an active assignment never
has a conflict of interest, and move applications through ``applications.services`` (never by
calling a transition themselves). User errors are ``ValidationError`` with a translated message.

Nothing is re-exported here: import a service from its feature module
(``from reviews.services.assignments import assignments_auto``).
"""
