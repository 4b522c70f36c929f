"""Decision letters and closing letters, in two steps that know nothing of the services.

- ``render``: the letter as PDF bytes, made from the decision's (or closure's) frozen data
  alone: HTML templates rendered by WeasyPrint to archival, tagged PDF/A-3a.
- ``store``: the PDF written through Django's storage API with its SHA-256 beside it, once.

The use case that runs both, and releases the decision to the applicant when its call does not
hold decisions, is ``applications.services.letters``, run by the tasks in
``applications.tasks``.
"""
