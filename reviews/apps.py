from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = _("Review")

    def ready(self):
        from applications.login_security.roles import register_two_factor_role
        from applications.login_security.staff_logins import register_staff_role

        from .rules import active_seats, is_reviewer, remember_is_reviewer

        # A reviewer's login goes in the audit log, like the agency staff's.
        register_staff_role("reviewer", is_reviewer)
        # And a reviewer passes the second factor, like the agency staff.
        # Asked with the person's groups in one query (roles.load_roles).
        register_two_factor_role(
            "reviewer", is_reviewer, preload=(active_seats, remember_is_reviewer)
        )

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

        # The audit log's lines: the keys reviews writes, read for people.
        from applications.selectors import audit

        from .enums import AssignmentReason, ConflictGround, Recommendation
        from .selectors.panel import panel_member_names

        audit.register_reference("panel_member", panel_member_names)
        audit.register_key_reference("member_id", "panel_member")
        audit.register_key("member_id", _("Reviewer"), audit.reference("panel_member"))
        audit.register_key("assignment_id", _("Assignment"), lambda value, refs: None)
        audit.register_key("has_conflict", _("Conflict of interest"), audit.yes_no)
        audit.register_key("ground", _("Ground"), audit.choice(ConflictGround))
        audit.register_key("recommendation", _("Recommendation"), audit.choice(Recommendation))
        audit.register_key("reason", _("How"), audit.choice(AssignmentReason))

        # An approval below one of the call's thresholds needs a reason on record.
        from applications.selectors.decisions import register_funding_check

        from .selectors.ranking import threshold_shortfalls

        register_funding_check(threshold_shortfalls)

        # The start page's parts for review work (applications/selectors/worklists.py).
        from applications.rules import is_programme_manager
        from applications.selectors.worklists import WorklistPart, register_worklist

        from .selectors.worklists import late_reviews_worklist, reviewer_worklist

        register_worklist(
            WorklistPart(
                key="reviewer",
                title=_("Your reviews"),
                position=20,
                applies=is_reviewer,
                build=reviewer_worklist,
                templates="reviews/start/reviewer/",
            )
        )
        register_worklist(
            WorklistPart(
                key="late_reviews",
                title=_("Review"),
                position=35,
                applies=is_programme_manager.test,
                build=late_reviews_worklist,
                templates="reviews/start/late_reviews/",
            )
        )

        # The ranking as a background export when it is large (applications/export_jobs.py).
        from applications.export_jobs import ExportKind, register_export

        from .exports import RANKING_EXPORT, ranking_export_build

        register_export(ExportKind(RANKING_EXPORT, ranking_export_build))

        # The daily review work registers itself as a day's job (applications/daily_tasks.py).
        from . import daily_tasks  # noqa: F401
