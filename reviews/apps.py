from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Review")

    def ready(self):
        from applications.audit import register_staff_role

        # A reviewer's login goes in the audit log, like the agency staff's.
        register_staff_role("reviewer", lambda user: user.panel_memberships.exists())

        # A reviewer's data in "My data" and the retention job, handed down to applications.
        from applications.personal_data import PersonalDataPart, register

        from . import selectors, services

        register(
            PersonalDataPart(
                key="review",
                template="reviews/_my_data.html",
                export=selectors.reviewer_personal_data_for,
                cases_of=selectors.reviewer_cases,
                keeps=selectors.reviewers_still_needed,
                anonymise=services.reviewer_personal_data_anonymise,
            )
        )
