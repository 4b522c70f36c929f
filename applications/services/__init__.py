"""Every write that matters, one function per use case, in one module per feature.

Each transition has exactly one service, used by every caller (views, admin actions,
commands). A service checks the user's right, runs the transition, saves, writes the log row
and schedules emails with ``transaction.on_commit``. Errors meant for the user are raised as
``ValidationError`` with a translated message; a missing right is ``PermissionDenied``.

Callers import the function from its feature module
(``from applications.services.transitions import application_submit``); this package
re-exports nothing, so each name has one home:

- ``people``: accounts, organisations, invitations, memberships;
- ``working_copy``: a draft and its budget lines and attachments;
- ``transitions``: submit, withdraw, return for completion, late exceptions, eligibility,
  review, and the decision's transition;
- ``decisions``: propose, confirm, send back, release;
- ``commitments``: the call's row lock and its kept committed amount (``CallCommitment``);
- ``letters``: make and store a decision's or a grant's closing letter (run by the tasks);
- ``follow_up``: acceptance, payments, reports, settlement, closure, reminders, lapse;
- ``exports``: the audit entries of the case-list and finance exports;
- ``personal_data``: the retention job.
"""
