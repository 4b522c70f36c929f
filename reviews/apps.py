from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Review")

    def ready(self):
        from applications.login_security.staff_logins import register_staff_role
        from applications.login_security.two_factor import register_two_factor_role

        from .rules import is_reviewer

        # A reviewer's login goes in the audit log, like the agency staff's.
        register_staff_role("reviewer", is_reviewer)
        # And a reviewer passes the second factor, like the agency staff.
        register_two_factor_role("reviewer", is_reviewer)

        # A reviewer's data in "My data" and the retention job, handed down to applications.
        from applications.personal_data import PersonalDataPart, register

        from .selectors.personal_data import (
            reviewer_cases,
            reviewer_personal_data_for,
            reviewers_still_needed,
        )
        from .services.personal_data import reviewer_personal_data_anonymise

        register(
            PersonalDataPart(
                key="review",
                template="reviews/_my_data.html",
                export=reviewer_personal_data_for,
                cases_of=reviewer_cases,
                keeps=reviewers_still_needed,
                anonymise=reviewer_personal_data_anonymise,
            )
        )
