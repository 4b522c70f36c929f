"""The review records in the Django admin: for looking up, not for changing.

Every write of review goes through ``reviews.services`` (an invitation sends its email, a new
employer or conflict removes assignments, a submitted review is locked), so the admin lists and
shows these records but does not add, change or delete them. Programme managers work on the
review pages under /review/manage/.
"""

from django.contrib import admin

from applications.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import (
    Assignment,
    ConflictDeclaration,
    ConflictOverride,
    ConsensusComment,
    PanelInvitation,
    PanelMember,
    Review,
    Score,
)


@admin.register(PanelInvitation)
class PanelInvitationAdmin(ReadOnlyAdmin):
    list_display = ["email", "call", "created_at", "expires_at", "accepted_at"]
    list_filter = ["call"]
    list_select_related = ["call"]
    search_fields = ["email"]
    # The token is a secret that lets its holder join the panel: never shown.
    fields = [
        "call",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
    ]
    readonly_fields = fields


@admin.register(PanelMember)
class PanelMemberAdmin(ReadOnlyAdmin):
    list_display = ["user", "call", "employer_name", "employer_orgnr", "joined_at"]
    list_filter = ["call"]
    list_select_related = ["user", "call"]
    search_fields = ["user__email", "user__full_name", "employer_name", "employer_orgnr"]
    fields = ["call", "user", "employer_name", "employer_orgnr", "joined_at"]
    readonly_fields = fields


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["member", "application", "has_conflict", "ground", "declared_at"]
    list_filter = ["has_conflict", "ground", "member__call"]
    list_select_related = ["member__user", "member__call", "application"]
    search_fields = ["member__user__email", "application__registration_number"]
    fields = ["member", "application", "has_conflict", "ground", "comment", "declared_at"]
    readonly_fields = fields


@admin.register(ConflictOverride)
class ConflictOverrideAdmin(ReadOnlyAdmin):
    list_display = ["member", "application", "has_conflict", "decided_by", "decided_at"]
    list_filter = ["has_conflict", "member__call"]
    list_select_related = ["member__user", "member__call", "application", "decided_by"]
    search_fields = ["member__user__email", "application__registration_number", "reason"]
    fields = ["member", "application", "has_conflict", "reason", "decided_by", "decided_at"]
    readonly_fields = fields


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["application", "member", "assigned_by", "assigned_at", "removed_at"]
    list_filter = ["application__call", ("removed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["application", "member__user", "member__call", "assigned_by"]
    search_fields = ["application__registration_number", "member__user__email"]
    fields = [
        "application",
        "member",
        "assigned_by",
        "assigned_at",
        "removed_at",
        "removed_reason",
    ]
    readonly_fields = fields


class ScoreInline(ReadOnlyInline):
    model = Score
    fields = ["criterion", "value"]
    readonly_fields = fields


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "status", "recommendation", "submitted_at"]
    list_filter = ["status", "recommendation", "assignment__application__call"]
    list_select_related = ["assignment__application", "assignment__member__user"]
    search_fields = [
        "assignment__application__registration_number",
        "assignment__member__user__email",
    ]
    fields = [
        "assignment",
        "status",
        "recommendation",
        "comment_for_applicant",
        "internal_comment",
        "created_at",
        "updated_at",
        "submitted_at",
    ]
    readonly_fields = fields
    inlines = [ScoreInline]


@admin.register(ConsensusComment)
class ConsensusCommentAdmin(ReadOnlyAdmin):
    list_display = ["application", "written_by", "updated_at"]
    list_select_related = ["application", "written_by"]
    search_fields = ["application__registration_number"]
    fields = ["application", "text", "written_by", "updated_at"]
    readonly_fields = fields
