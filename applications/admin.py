"""The Django admin: for the agency's superusers to look things up and fix data.

It never changes an application's state: ``state`` and everything a transition sets are
read-only here, and the admin actions call the same services as the views.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import (
    Application,
    ApplicationTransition,
    ApplicationVersion,
    BackgroundJob,
    DeadlineException,
    ExternalIdentity,
    Invitation,
    Membership,
    Organisation,
    User,
)
from .services.transitions import application_start_review
from .validators import normalise_orgnr

# -- people ------------------------------------------------------------------------------


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "language")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email address already exists."))
        return email


class UserChangeAdminForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """The custom user logs in by email; there is no username."""

    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ["email"]
    list_display = ["email", "full_name", "language", "is_staff", "is_superuser", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups", "language"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal details"), {"fields": ["full_name", "phone", "language"]}),
        (
            _("Roles and permissions"),
            {
                "fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"],
                "description": _(
                    "Agency roles are the groups programme_managers and decision_makers."
                ),
            },
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "full_name",
                    "language",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        )
    ]


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["orgnr", "name", "declared_kind", "county", "address"]

    def clean_orgnr(self):
        return normalise_orgnr(self.cleaned_data["orgnr"])


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "is_admin", "is_signatory", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = ["name", "orgnr", "verification_status", "verified_kind", "county", "created_at"]
    list_filter = ["verification_status", "verified_kind", "county"]
    search_fields = ["name", "orgnr"]
    # The check is the programme manager's, on its own page with its audit entry.
    readonly_fields = [
        "verification_status",
        "verified_kind",
        "verified_at",
        "verified_by",
        "verification_note",
        "created_at",
    ]
    fields = [
        "orgnr",
        "name",
        "declared_kind",
        "county",
        "address",
        "verification_status",
        "verified_kind",
        "verified_at",
        "verified_by",
        "verification_note",
        "created_at",
    ]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "is_admin", "is_signatory", "created_at"]
    list_filter = ["is_admin", "is_signatory"]
    search_fields = ["user__email", "user__full_name", "organisation__name", "organisation__orgnr"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]
    readonly_fields = ["created_at"]


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Look up or remove (unlink) an e-ID or SSO identity; nothing else is changed here. The
    personal-number hash is never shown."""

    list_display = ["user", "provider", "issuer", "created_at", "last_login_at"]
    list_filter = ["provider"]
    search_fields = ["user__email", "user__full_name"]
    list_select_related = ["user"]
    fields = ["user", "provider", "issuer", "subject", "created_at", "last_login_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organisation",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
    ]
    search_fields = ["email", "organisation__name", "organisation__orgnr"]
    list_select_related = ["organisation", "invited_by"]
    fields = [
        "organisation",
        "email",
        "is_admin",
        "is_signatory",
        "token",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
    ]
    readonly_fields = [
        "organisation",
        "token",
        "invited_by",
        "created_at",
        "accepted_at",
        "accepted_by",
    ]

    def has_add_permission(self, request):
        # Invitations are made by an organisation's administrator, which sends the email.
        return False


# -- applications -----------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(ReadOnlyInline):
    model = ApplicationVersion
    fields = ["number", "submitted_at", "submitted_by", "sha256"]
    readonly_fields = fields
    ordering = ["-number"]


class TransitionInline(ReadOnlyInline):
    model = ApplicationTransition
    fields = ["at", "name", "source", "target", "actor", "comment"]
    readonly_fields = fields


class DeadlineExceptionInline(ReadOnlyInline):
    model = DeadlineException
    fields = ["new_deadline", "reason", "granted_by", "granted_at"]
    readonly_fields = fields


TRANSITION_FIELDS = [
    "state",
    "registration_number",
    "first_submitted_at",
    "last_submitted_at",
    "completion_message",
    "completion_deadline",
    "withdrawn_reason",
    "closed_at",
]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = [
        "registration_number",
        "title",
        "organisation",
        "call",
        "state",
        "requested_amount",
        "last_submitted_at",
    ]
    list_display_links = ["registration_number", "title"]
    list_filter = ["state", "call", "organisation__verified_kind", "organisation__county"]
    search_fields = ["registration_number", "title", "organisation__name", "organisation__orgnr"]
    list_select_related = ["call", "organisation"]
    date_hierarchy = "last_submitted_at"
    inlines = [VersionInline, TransitionInline, DeadlineExceptionInline]
    actions = ["start_review_for_selected"]
    fieldsets = [
        (None, {"fields": ["call", "organisation", "created_by", "language"]}),
        (
            _("State (changed only through the case handling, never here)"),
            {"fields": TRANSITION_FIELDS},
        ),
        (
            _("Working copy"),
            {
                "description": _(
                    "What the applicant is editing. Submitted versions are below and never change."
                ),
                "fields": [
                    "title",
                    "summary",
                    "hub",
                    "period_start",
                    "period_end",
                    "requested_amount",
                    "answers",
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                ],
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fixed = [*TRANSITION_FIELDS, "created_by", "created_at", "updated_at"]
        if obj is not None and obj.registration_number:
            # Once registered, the case belongs to this call and organisation for good.
            fixed += ["call", "organisation"]
        return fixed

    def has_add_permission(self, request):
        # Applications are started by applicants, through the service that checks the call.
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.registration_number:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request):
        # Bulk delete would skip the per-object rule above: registered cases are never deleted.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Start review for the selected applications"))
    def start_review_for_selected(self, request, queryset):
        started = 0
        for application in queryset.select_related("call", "organisation"):
            try:
                application_start_review(application=application, by=request.user)
            except PermissionDenied:
                self.message_user(
                    request,
                    _("%(application)s: only a programme manager can start review.")
                    % {"application": application},
                    messages.ERROR,
                )
            except ValidationError as error:
                self.message_user(
                    request,
                    f"{application}: {' '.join(error.messages)}",
                    messages.ERROR,
                )
            else:
                started += 1
        if started:
            self.message_user(
                request,
                ngettext(
                    "Review started for %(count)d application.",
                    "Review started for %(count)d applications.",
                    started,
                )
                % {"count": started},
                messages.SUCCESS,
            )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that are written once by a service and never changed."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApplicationVersion)
class ApplicationVersionAdmin(ReadOnlyAdmin):
    list_display = ["application", "number", "submitted_at", "submitted_by", "sha256"]
    list_select_related = ["application", "submitted_by"]
    search_fields = ["application__registration_number", "sha256"]
    fields = [
        "application",
        "number",
        "submitted_at",
        "submitted_by",
        "sha256",
        "content",
        "attachments",
    ]


@admin.register(ApplicationTransition)
class ApplicationTransitionAdmin(ReadOnlyAdmin):
    list_display = ["application", "name", "source", "target", "actor", "at"]
    list_filter = ["name", "target"]
    list_select_related = ["application", "actor"]
    search_fields = ["application__registration_number", "comment"]
    fields = ["application", "name", "source", "target", "actor", "at", "comment"]


@admin.register(BackgroundJob)
class BackgroundJobAdmin(admin.ModelAdmin):
    """Background jobs, to read: which work failed, which is stuck. Changed only by the jobs."""

    list_display = ("pk", "kind", "state", "key", "started_by", "done", "total", "created_at")
    list_filter = ("kind", "state")
    search_fields = ("key",)
    readonly_fields = [field.name for field in BackgroundJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
