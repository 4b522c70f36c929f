"""Demo data for a laptop: a call, hubs, organisations, people and applications in several states.

Everything is made through the services, as a real user would, so the demo shows what the code
does rather than what a fixture says. Running it again changes nothing (every object is found
by a natural key first). It refuses to run with DEBUG off unless ``--force``, so a production
database never gets demo logins with a published password.

It lives in ``reviews``, the highest app on the import line, because it makes data of every app
(calls, cases, panels and reviews); from ``applications`` it would import upwards.
"""

import base64
import datetime as dt

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum import luhn

from applications.enums import (
    ApplicationState,
    BudgetCategory,
    County,
    DecisionOutcome,
    DecisionStatus,
    EligibilityItem,
    PaymentStatus,
    ReportKind,
    ReportStatus,
)
from applications.login_security.two_factor import requires_two_factor
from applications.models import Application, Membership, Organisation, User
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from applications.selectors.decisions import effective_decision
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm, decision_propose, decision_release
from applications.services.follow_up import (
    application_accept_grant,
    application_close,
    payment_mark_paid,
    report_approve,
    report_save,
    report_submit,
)
from applications.services.letters import closing_letter_generate, decision_letter_generate
from applications.services.transitions import (
    application_check_eligibility,
    application_complete_review,
    application_return_for_completion,
    application_start_review,
    application_submit,
    application_withdraw,
)
from applications.services.working_copy import application_create, application_update
from grants.enums import OrganisationKind
from grants.models import Call, Criterion, Hub
from reviews.models import Assignment, PanelMember
from reviews.selectors.feedback import feedback_for_applicant
from reviews.selectors.scope import declaration_scope
from reviews.services.assignments import assignments_auto
from reviews.services.conflicts import Declaration, conflicts_declare
from reviews.services.panel import panel_invitation_accept, panel_invite
from reviews.services.reviewing import review_complete, review_save, review_submit

# Published on purpose: demo accounts only, and the command refuses to run with DEBUG off.
PASSWORD = "demo-password-2026"  # noqa: S105
# The authenticator-app key of every demo account that needs two-factor authentication (staff,
# reviewers, the admin), published for the same reason: add it to any TOTP app, or run
# `manage.py demo_otp_codes`.
DEMO_TOTP_SECRET = "SAMVERKETDEMO2FASAMVERKETDEMO2FA"  # noqa: S105
DEMO_TOTP_DEVICE = "Demo authenticator"
DEMO_CALL_SLUG = "samverket-coworking-hybridarbete"
PILOT_CALL_SLUG = "samverket-pilot-2026"

CALL_SUMMARY_SV = (
    "Offentliga organisationer kan söka upp till 600 000 kronor för att pröva coworking och "
    "hybridarbete i Samverkets delade arbetsplatser i Stockholm och Östersund."
)
CALL_SUMMARY_EN = (
    "Public organisations can apply for up to SEK 600,000 to try coworking and hybrid work in "
    "Samverket's shared workplaces in Stockholm and Östersund."
)
CALL_DESCRIPTION_SV = """\
Allt fler offentliga arbetsgivare vill ge sina medarbetare möjlighet att arbeta närmare hemmet \
och samtidigt möta kollegor från andra organisationer. Med den här utlysningen vill vi stödja \
kommuner, regioner och statliga myndigheter som vill pröva hur arbete i en delad arbetsplats, \
en så kallad coworking-hubb, kan bidra till kortare pendling, bättre kompetensförsörjning och \
ny samverkan över organisationsgränser.

Stödet kan användas till medlemskap och hyra i Samverket Stockholm eller Samverket Östersund, \
till projektledning och medarbetarnas tid för utvärdering, till resor mellan hubb och ordinarie \
arbetsplats samt till utrustning som behövs för att arbetet ska fungera säkert. Projektet ska \
pågå i högst tolv månader och genomföras under 2027.

Ansökan bedöms av en referensgrupp utifrån projektets relevans, genomförbarhet, möjligheten att \
sprida resultaten till andra offentliga organisationer och rimligheten i budgeten. Beslut \
fattas av myndigheten och meddelas skriftligen. Beviljade projekt lämnar en slutrapport med \
erfarenheter och en ekonomisk redovisning senast två månader efter projektets slut.

Ansökan görs i Samverket Grants. Den som registrerar organisationen blir dess administratör och \
kan bjuda in kollegor. Ansökan ska vara inskickad före sista ansökningsdag; en ansökan som kommer \
in för sent kan inte tas upp till prövning."""
CALL_DESCRIPTION_EN = """\
More and more public employers want to let their staff work closer to home while meeting \
colleagues from other organisations. With this call we support municipalities, regions and \
state agencies that want to try how working from a shared workplace, a coworking hub, can \
shorten commutes, help recruitment and build new cooperation across organisational lines.

The grant can pay for membership and rent at Samverket Stockholm or Samverket Östersund, for \
project management and staff time for evaluation, for travel between the hub and the usual \
workplace, and for equipment needed to work securely. The project may last at most twelve \
months and take place during 2027.

Applications are assessed by a reference group on the project's relevance, feasibility, the \
chance of spreading its results to other public organisations, and a reasonable budget. The \
agency decides and gives its decision in writing. Funded projects submit a final report with \
their experience and a financial report no later than two months after the project ends.

Apply in Samverket Grants. Whoever registers the organisation becomes its administrator and can \
invite colleagues. The application must be submitted before the closing date; a late \
application cannot be considered."""


def public_orgnr(body: str) -> str:
    """An organisation number with its Luhn digit: ``212000241`` → ``212000-2411``."""
    return f"{body[:6]}-{body[6:]}{luhn.calc_check_digit(body)}"


# (key, email, full name, organisation key or None, admin, signatory, groups, superuser)
PEOPLE = [
    (
        "applicant",
        "anna.lindqvist@ostersund.example.se",
        "Anna Lindqvist",
        "ostersund",
        True,
        True,
        [],
        False,
    ),
    (
        "colleague",
        "erik.holm@ostersund.example.se",
        "Erik Holm",
        "ostersund",
        False,
        False,
        [],
        False,
    ),
    ("applicant2", "johan.berg@krokom.example.se", "Johan Berg", "krokom", True, True, [], False),
    (
        "applicant3",
        "sara.nyberg@regionjh.example.se",
        "Sara Nyberg",
        "region",
        True,
        True,
        [],
        False,
    ),
    (
        "applicant4",
        "leila.haddad@norrtalje.example.se",
        "Leila Haddad",
        "norrtalje",
        True,
        True,
        [],
        False,
    ),
    (
        "reviewer",
        "karin.sjoberg@reviewer.example.se",
        "Karin Sjöberg",
        None,
        False,
        False,
        [],
        False,
    ),
    (
        "manager",
        "maria.ek@agency.example.se",
        "Maria Ek",
        None,
        False,
        False,
        [PROGRAMME_MANAGERS],
        False,
    ),
    (
        "decider",
        "lars.strom@agency.example.se",
        "Lars Ström",
        None,
        False,
        False,
        [DECISION_MAKERS],
        False,
    ),
    ("admin", "admin@agency.example.se", "Agnes Admin", None, False, False, [], True),
    ("reviewer2", "per.nilsson@reviewer.example.se", "Per Nilsson", None, False, False, [], False),
    (
        "reviewer3",
        "ulla.bergstrom@reviewer.example.se",
        "Ulla Bergström",
        None,
        False,
        False,
        [],
        False,
    ),
]

ORGANISATIONS = {
    "ostersund": ("Östersunds kommun", "212000241", OrganisationKind.MUNICIPALITY, County.JAMTLAND),
    "krokom": ("Krokoms kommun", "212000238", OrganisationKind.MUNICIPALITY, County.JAMTLAND),
    "region": (
        "Region Jämtland Härjedalen",
        "232100019",
        OrganisationKind.REGION,
        County.JAMTLAND,
    ),
    "norrtalje": ("Norrtälje kommun", "212000015", OrganisationKind.MUNICIPALITY, County.STOCKHOLM),
}

LOGIN_LABELS = {
    "applicant": "applicant (administrator and signatory, Östersunds kommun)",
    "colleague": "applicant (member, Östersunds kommun)",
    "applicant2": "second applicant (administrator and signatory, Krokoms kommun)",
    "applicant3": "applicant (administrator and signatory, Region Jämtland Härjedalen)",
    "applicant4": "applicant (administrator and signatory, Norrtälje kommun)",
    "reviewer": "reviewer (both calls' panels; reviews waiting in the pilot call)",
    "reviewer2": "reviewer (pilot call; employed by Krokoms kommun)",
    "reviewer3": "reviewer (pilot call; has declared a conflict of interest)",
    "manager": "programme manager",
    "decider": "decision maker",
    "admin": "admin (superuser, /admin/)",
}


# The pilot call's applications, all put in review: (person, organisation, title, amount, summary)
PILOT_APPLICATIONS = [
    (
        "applicant2",
        "Krokoms kommun",
        "Gemensam hubb för Krokoms och Östersunds planerare",
        380_000,
        "Planerare från två kommuner delar arbetsplats i Östersund.",
    ),
    (
        "applicant",
        "Östersunds kommun",
        "Hybridarbete i stadsbyggnadsförvaltningen",
        400_000,
        "Handläggare prövar en fast hubbdag i veckan och mäter restid och samarbete.",
    ),
    (
        "applicant3",
        "Region Jämtland Härjedalen",
        "Regionens IT-stöd på plats i hubben",
        350_000,
        "IT-supporten finns i hubben två dagar i veckan för regionens medarbetare i länet.",
    ),
    (
        "applicant4",
        "Norrtälje kommun",
        "Distansledarskap i en delad arbetsplats",
        300_000,
        "Chefer med medarbetare på flera orter prövar att leda från en gemensam hubb.",
    ),
]

# Submitted to the pilot call and not yet checked: (person, organisation, title, amount, summary)
PILOT_READY_FOR_REVIEW = (
    "colleague",
    "Östersunds kommun",
    "Mötesfria förmiddagar i Samverket Östersund",
    250_000,
    "Två förvaltningar prövar att förlägga fokusarbete till hubben före lunch.",
)

# (name sv, name en, guidance sv, guidance en, weight, threshold)
CRITERIA = [
    (
        "Relevans",
        "Relevance",
        "Hur väl svarar projektet mot utlysningens syfte: att pröva coworking och hybridarbete "
        "i offentlig sektor? 1 = inte alls, 7 = helt och hållet.",
        "How well does the project meet the call's purpose: trying coworking and hybrid work in "
        "the public sector? 1 = not at all, 7 = fully.",
        2,
        4,
    ),
    (
        "Genomförbarhet",
        "Feasibility",
        "Är planen, tidplanen och organisationen realistiska för det som ska prövas?",
        "Are the plan, the timetable and the organisation realistic for what is to be tried?",
        1,
        None,
    ),
    (
        "Spridning av resultat",
        "Spreading the results",
        "Hur ska andra offentliga organisationer kunna ta del av och använda erfarenheterna?",
        "How will other public organisations learn from and use the experience?",
        1,
        None,
    ),
    (
        "Budget",
        "Budget",
        "Är kostnaderna rimliga och motiverade i förhållande till det som ska göras?",
        "Are the costs reasonable and justified for what is to be done?",
        1,
        None,
    ),
]

PILOT_PANEL = ["reviewer", "reviewer2", "reviewer3"]
# key → (employer's organisation number, employer)
REVIEWER_EMPLOYERS = {
    "reviewer": (public_orgnr("202100293"), "Mittuniversitetet"),
    "reviewer2": (public_orgnr("212000238"), "Krokoms kommun"),
    "reviewer3": (public_orgnr("202100234"), "Länsstyrelsen i Jämtlands län"),
}
# (reviewer key, organisation) → (ground, comment) of a declared conflict
DECLARED_CONFLICTS = {
    ("reviewer3", "Region Jämtland Härjedalen"): (
        "close_relation",
        "Min make är projektledare i ansökan.",
    ),
}
# (reviewer key, organisation) → (scores per criterion in order, recommendation, comment)
REVIEW_SCORES = {
    ("reviewer2", "Östersunds kommun"): (
        [5, 5, 4, 5],
        "fund",
        "En tydlig plan med mätbara mål. Beskriv gärna hur resultaten sprids till andra kommuner.",
    ),
    ("reviewer2", "Region Jämtland Härjedalen"): (
        [6, 6, 5, 5],
        "fund",
        "Ett angeläget projekt som når medarbetare i hela länet.",
    ),
    ("reviewer2", "Norrtälje kommun"): (
        [3, 4, 4, 4],
        "do_not_fund",
        "Kopplingen till utlysningens syfte är svag; projektet handlar mest om ledarskap.",
    ),
    ("reviewer3", "Krokoms kommun"): (
        [6, 5, 6, 6],
        "fund",
        "Samarbetet mellan två kommuner gör resultaten lätta att sprida.",
    ),
    ("reviewer3", "Östersunds kommun"): (
        [4, 5, 4, 4],
        "fund_with_changes",
        "Budgeten för utrustning behöver motiveras bättre.",
    ),
    ("reviewer3", "Norrtälje kommun"): (
        [3, 3, 4, 5],
        "do_not_fund",
        "Projektet prövar inte coworking i den mening utlysningen avser.",
    ),
    ("reviewer", "Region Jämtland Härjedalen"): (
        [6, 5, 5, 6],
        "fund",
        "Väl genomtänkt, med en realistisk budget.",
    ),
}


def _content(title: str, hub: Hub, amount: int, summary: str) -> tuple[dict, list[dict]]:
    data = {
        "title": title,
        "summary": summary,
        "what_to_try": (
            "Medarbetare arbetar två dagar i veckan från hubben i stället för att pendla till "
            "kontoret, och vi följer upp hur det påverkar samarbete, hälsa och restid."
        ),
        "hub": hub,
        "participants": 24,
        "period_start": dt.date(2027, 2, 1),
        "period_end": dt.date(2027, 12, 31),
        "expected_results": (
            "Kortare restid, fler kontakter med andra offentliga organisationer och en modell "
            "för hybridarbete som kan användas i hela förvaltningen."
        ),
        "requested_amount": amount,
    }
    hub_share = amount * 6 // 10
    staff_share = amount * 3 // 10
    lines = [
        {"category": BudgetCategory.HUB, "description": "Medlemskap i hubben", "amount": hub_share},
        {"category": BudgetCategory.STAFF, "description": "Projektledning", "amount": staff_share},
        {
            "category": BudgetCategory.EVALUATION,
            "description": "Utvärdering och spridning",
            "amount": amount - hub_share - staff_share,
        },
    ]
    return data, lines


# An earlier round whose grants are in follow-up, so the demo shows acceptance, payments,
# reports, a repayment claim and a closed grant with its closing letter. Days are counted from
# the day the demo is made (negative: in the past).
FOLLOW_UP_CALL_SLUG = "samverket-2025"
# (stage, person, organisation, title, amount, summary, project end, spent per budget line)
FOLLOW_UP_GRANTS = [
    (
        "closed",
        "applicant2",
        "Krokoms kommun",
        "Krokoms medarbetare i Samverket Östersund",
        400_000,
        "Trettio medarbetare arbetade från hubben i stället för att pendla till Krokom.",
        -180,
        None,  # everything as budgeted
    ),
    (
        "repayment",
        "applicant3",
        "Region Jämtland Härjedalen",
        "Regionens hybridkontor i Östersund",
        350_000,
        "Regionens handläggare prövade en delad arbetsplats två dagar i veckan.",
        -100,
        [180_000, 50_000, 20_000],  # 250 000 kr spent of 280 000 kr paid: 30 000 kr back
    ),
    (
        "submitted",
        "applicant",
        "Östersunds kommun",
        "Kommunens planerare i delad arbetsplats",
        450_000,
        "Planerare från kommunen och regionen delade hubb och mötesrum under ett år.",
        -65,
        [260_000, 135_000, 40_000],
    ),
    (
        "draft",
        "applicant4",
        "Norrtälje kommun",
        "Hemnära arbetsplats för Norrtäljes pendlare",
        300_000,
        "Medarbetare som pendlar till Stockholm arbetar från Samverket Stockholm.",
        -40,
        None,
    ),
]
FOLLOW_UP_REPORT = {
    "what_was_done": (
        "Medarbetarna arbetade från hubben två dagar i veckan. Vi följde upp restid, "
        "samarbete och hälsa med en enkät varje kvartal."
    ),
    "lessons": (
        "Restiden minskade med i snitt fem timmar i veckan. Mötesrummen behöver bokas i god "
        "tid, och chefer behöver stöd i att leda på distans."
    ),
    "participants": 24,
    "hub_days": 190,
    "measures": {"satisfaction": "4.3"},
}


class Command(BaseCommand):
    help = "Create demo data (idempotent). Refuses to run when DEBUG is off, unless --force."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off. Never on a production database.",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: refusing to create demo accounts with a published password. "
                "Run with DJANGO_DEBUG=true, or pass --force if this is not production."
            )
        with transaction.atomic():
            people = self._people()
        hubs = self._hubs()
        with transaction.atomic():
            call = self._open_call(hubs)
        pilot = self._pilot_call(hubs)
        self._applications(call, pilot, people, hubs)
        self._review(call, pilot, people)
        self._decisions(pilot, people)
        self._follow_up(people, hubs)
        self._two_factor(people)
        self._print_logins(people)

    # -- reference data --------------------------------------------------------------------

    def _people(self) -> dict[str, User]:
        organisations = {}
        for key, (name, body, kind, county) in ORGANISATIONS.items():
            organisations[key], _ = Organisation.objects.get_or_create(
                orgnr=public_orgnr(body), defaults={"name": name, "kind": kind, "county": county}
            )
        people = {}
        for key, email, name, org, is_admin, is_signatory, groups, superuser in PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, full_name=name, is_staff=superuser, is_superuser=superuser)
            # The password is reset on every run so the printed logins always work.
            user.set_password(PASSWORD)
            user.save()
            for group in groups:
                user.groups.add(Group.objects.get(name=group))
            if org:
                Membership.objects.get_or_create(
                    user=user,
                    organisation=organisations[org],
                    defaults={"is_admin": is_admin, "is_signatory": is_signatory},
                )
            people[key] = user
        return people

    def _hubs(self) -> dict[str, Hub]:
        return {
            "stockholm": Hub.objects.get_or_create(
                name="Samverket Stockholm", defaults={"city": "Stockholm"}
            )[0],
            "ostersund": Hub.objects.get_or_create(
                name="Samverket Östersund", defaults={"city": "Östersund"}
            )[0],
        }

    def _open_call(self, hubs) -> Call:
        now = timezone.localtime()
        closes = (now + dt.timedelta(days=21)).replace(hour=23, minute=59, second=0, microsecond=0)
        call, created = Call.objects.get_or_create(
            slug=DEMO_CALL_SLUG,
            defaults={
                "title_sv": "Samverket: pröva coworking och hybridarbete",
                "title_en": "Samverket: try coworking and hybrid work",
                "summary_sv": CALL_SUMMARY_SV,
                "summary_en": CALL_SUMMARY_EN,
                "description_sv": CALL_DESCRIPTION_SV,
                "description_en": CALL_DESCRIPTION_EN,
                "is_published": True,
                "opens_at": (now - dt.timedelta(days=35)).replace(
                    hour=8, minute=0, second=0, microsecond=0
                ),
                "closes_at": closes,
                "budget": 6_000_000,
                "max_amount": 600_000,
                "project_start_earliest": dt.date(2027, 1, 1),
                "project_end_latest": dt.date(2027, 12, 31),
            },
        )
        if created:
            call.hubs.set(hubs.values())
        return call

    def _pilot_call(self, hubs) -> Call:
        """An earlier, already closed round, so the demo has an application in review."""
        now = timezone.localtime()
        call, created = Call.objects.get_or_create(
            slug=PILOT_CALL_SLUG,
            defaults={
                "title_sv": "Samverket pilot 2026: hybridarbete i Jämtland",
                "title_en": "Samverket pilot 2026: hybrid work in Jämtland",
                "summary_sv": "En första, mindre omgång för organisationer i Jämtlands län.",
                "summary_en": "A first, smaller round for organisations in Jämtland County.",
                "description_sv": CALL_DESCRIPTION_SV,
                "description_en": CALL_DESCRIPTION_EN,
                "is_published": True,
                "opens_at": (now - dt.timedelta(days=120)).replace(
                    hour=8, minute=0, second=0, microsecond=0
                ),
                "closes_at": (now - dt.timedelta(days=30)).replace(
                    hour=23, minute=59, second=0, microsecond=0
                ),
                # Small enough that the ranking's funding line falls inside the demo's list.
                "budget": 1_000_000,
                "max_amount": 400_000,
            },
        )
        if created:
            call.hubs.set([hubs["ostersund"]])
        if not call.hold_decisions_for_release:
            # Confirmed decisions wait in the outbox until the programme manager releases them,
            # so the demo shows the outbox; a run over an older demo database turns it on too.
            call.hold_decisions_for_release = True
            call.save(update_fields=["hold_decisions_for_release"])
        return call

    # -- applications, made through the services ---------------------------------------------

    def _draft(
        self, *, call, by, org_name, title, hub, amount, summary
    ) -> tuple[Application, bool]:
        organisation = Organisation.objects.get(name=org_name)
        existing = Application.objects.filter(call=call, organisation=organisation, title=title)
        if existing.exists():
            return existing.get(), False
        application = application_create(call=call, organisation=organisation, by=by)
        data, lines = _content(title, hub, amount, summary)
        application = application_update(
            application=application, by=by, data=data, budget_lines=lines
        )
        return application, True

    def _applications(self, call, pilot, people, hubs) -> None:
        applicant, applicant2 = people["applicant"], people["applicant2"]
        manager = people["manager"]

        with transaction.atomic():
            self._draft(
                call=call,
                by=applicant,
                org_name="Östersunds kommun",
                title="Hybridarbete för socialtjänstens handläggare",
                hub=hubs["ostersund"],
                amount=450_000,
                summary="Ett utkast som ännu inte är inskickat.",
            )

        with transaction.atomic():
            application, created = self._draft(
                call=call,
                by=applicant,
                org_name="Östersunds kommun",
                title="Samverket Östersund som andra arbetsplats",
                hub=hubs["ostersund"],
                amount=600_000,
                summary="Tjugofyra medarbetare prövar att arbeta från hubben två dagar i veckan.",
            )
            if created:
                application_submit(application=application, by=applicant)
                # A second version, so the demo shows the version history.
                application_update(
                    application=application,
                    by=applicant,
                    data={"participants": 30},
                )
                application_submit(application=application, by=applicant)

        with transaction.atomic():
            application, created = self._draft(
                call=call,
                by=applicant2,
                org_name="Krokoms kommun",
                title="Pendlingsfri tisdag i Krokom",
                hub=hubs["ostersund"],
                amount=320_000,
                summary="Medarbetare som pendlar långt arbetar en dag i veckan från hubben.",
            )
            if created:
                application_submit(application=application, by=applicant2)
                application_return_for_completion(
                    application=application,
                    by=manager,
                    message=(
                        "Beskriv hur ni ska mäta resultaten och komplettera budgeten med "
                        "kostnaden för utvärdering."
                    ),
                    deadline=timezone.now() + dt.timedelta(days=10),
                )

        with transaction.atomic():
            application, created = self._draft(
                call=call,
                by=people["applicant3"],
                org_name="Region Jämtland Härjedalen",
                title="Vårdadministration i delad arbetsplats",
                hub=hubs["stockholm"],
                amount=500_000,
                summary="Administrativ personal prövar att arbeta från Samverket Stockholm.",
            )
            if created:
                application_submit(application=application, by=people["applicant3"])
                application_withdraw(
                    application=application,
                    by=people["applicant3"],
                    reason="Projektet ryms inte i verksamhetsplanen för nästa år.",
                )

        self._in_review(pilot, people, hubs)
        self._ready_for_review(pilot, people, hubs)

    def _in_review(self, pilot, people, hubs) -> None:
        """Submit to the pilot call while it was open (time travel), then start review."""
        import time_machine  # noqa: PLC0415 -- a dev dependency, like this command

        manager = people["manager"]
        while_open = pilot.closes_at - dt.timedelta(days=10)
        for person, org_name, title, amount, summary in PILOT_APPLICATIONS:
            with time_machine.travel(while_open, tick=True), transaction.atomic():
                application, created = self._draft(
                    call=pilot,
                    by=people[person],
                    org_name=org_name,
                    title=title,
                    hub=hubs["ostersund"],
                    amount=amount,
                    summary=summary,
                )
                if created:
                    application_submit(application=application, by=people[person])
            application.refresh_from_db()
            if application.state != ApplicationState.SUBMITTED:
                continue
            with transaction.atomic():
                application_check_eligibility(
                    application=application,
                    by=manager,
                    items={item: True for item in EligibilityItem.values},
                    comment="Uppfyller utlysningens krav.",
                )
                application_start_review(application=application, by=manager)

    def _ready_for_review(self, pilot, people, hubs) -> None:
        """Submitted to the pilot call while it was open and left there: the call has closed,
        so the programme manager can check its eligibility and start its review."""
        import time_machine  # noqa: PLC0415 -- a dev dependency, like this command

        person, org_name, title, amount, summary = PILOT_READY_FOR_REVIEW
        with (
            time_machine.travel(pilot.closes_at - dt.timedelta(days=3), tick=True),
            transaction.atomic(),
        ):
            application, created = self._draft(
                call=pilot,
                by=people[person],
                org_name=org_name,
                title=title,
                hub=hubs["ostersund"],
                amount=amount,
                summary=summary,
            )
            if created:
                application_submit(application=application, by=people[person])

    # -- review, made through the review services ---------------------------------------------

    def _review(self, call, pilot, people) -> None:
        """Criteria for both calls; a panel for each; declarations, assignments and reviews in
        the pilot call, so the ranking has content and a funding line."""
        for demo_call in (call, pilot):
            for position, (name_sv, name_en, guide_sv, guide_en, weight, threshold) in enumerate(
                CRITERIA
            ):
                Criterion.objects.get_or_create(
                    call=demo_call,
                    position=position,
                    defaults={
                        "name_sv": name_sv,
                        "name_en": name_en,
                        "guidance_sv": guide_sv,
                        "guidance_en": guide_en,
                        "weight": weight,
                        "threshold": threshold,
                    },
                )
        manager = people["manager"]
        members = {}
        for demo_call, key in [(call, "reviewer"), *[(pilot, k) for k in PILOT_PANEL]]:
            user = people[key]
            member = PanelMember.objects.filter(call=demo_call, user=user).first()
            if member is None:
                with transaction.atomic():
                    invitation = panel_invite(call=demo_call, by=manager, email=user.email)
                    orgnr, employer = REVIEWER_EMPLOYERS[key]
                    member = panel_invitation_accept(
                        invitation=invitation,
                        by=user,
                        employer_orgnr=orgnr,
                        employer_name=employer,
                    )
            if demo_call == pilot:
                members[key] = member

        # Declarations: every reviewer of the pilot declares for every application; one has a
        # conflict (and Per Nilsson's employer is an applicant: a conflict found by itself).
        scope = list(declaration_scope(pilot))
        for key, member in members.items():
            pending = [
                a for a in scope if not a.conflict_declarations.filter(member=member).exists()
            ]
            if not pending:
                continue
            declarations = []
            for application in pending:
                ground, comment = DECLARED_CONFLICTS.get(
                    (key, application.organisation.name), ("", "")
                )
                declarations.append(
                    Declaration(
                        application_id=application.pk,
                        has_conflict=bool(ground),
                        ground=ground,
                        comment=comment,
                    )
                )
            with transaction.atomic():
                conflicts_declare(member=member, by=member.user, declarations=declarations)

        assignments_auto(call=pilot, by=manager)

        criteria = list(pilot.criteria.order_by("position"))
        assignments = Assignment.objects.filter(
            application__call=pilot, removed_at__isnull=True
        ).select_related("member__user", "application__organisation")
        for assignment in assignments:
            key = next(k for k, m in members.items() if m.pk == assignment.member_id)
            organisation = assignment.application.organisation.name
            if (key, organisation) not in REVIEW_SCORES:
                continue  # left for the demo reviewer to do
            review = getattr(assignment, "review", None)
            if review is not None and review.is_submitted:
                continue
            scores, recommendation, comment = REVIEW_SCORES[(key, organisation)]
            with transaction.atomic():
                review_save(
                    assignment=assignment,
                    by=assignment.member.user,
                    scores={c.pk: value for c, value in zip(criteria, scores, strict=True)},
                    comment_for_applicant=comment,
                    internal_comment="",
                    recommendation=recommendation,
                )
                review_submit(assignment=assignment, by=assignment.member.user)

    # -- decisions, made through the services ------------------------------------------------

    def _decisions(self, pilot, people) -> None:
        """In the pilot call: Region Jämtland Härjedalen approved (confirmed by the decision
        maker, with its letter), and Norrtälje kommun's review completed by the programme
        manager with a rejection proposed and waiting for the decision maker."""
        manager, decider = people["manager"], people["decider"]
        region = Application.objects.get(
            call=pilot, organisation__name="Region Jämtland Härjedalen"
        )
        if region.state == ApplicationState.REVIEWED and not region.decisions.exists():
            with transaction.atomic():
                decision = decision_propose(
                    application=region,
                    by=manager,
                    outcome=DecisionOutcome.APPROVED,
                    granted_amount=350_000,
                    conditions="Projektet redovisar hur många medarbetare som använt hubben.",
                    justification=(
                        "Projektet svarar väl mot utlysningens syfte och rymdes inom budgeten."
                    ),
                    feedback=feedback_for_applicant(region),
                )
            with transaction.atomic():
                decision_confirm(decision=decision, by=decider)
        confirmed = region.decisions.filter(status=DecisionStatus.CONFIRMED).first()
        if confirmed is not None:
            # Made here too, so the demo has the letter without a task worker; once only.
            decision_letter_generate(confirmed.pk)
            # The call holds its decisions: the programme manager sends this one out, so it
            # waits for the applicant's acceptance (a second run releases nothing).
            with transaction.atomic():
                decision_release(decision=confirmed, by=manager)

        norrtalje = Application.objects.get(call=pilot, organisation__name="Norrtälje kommun")
        if norrtalje.state == ApplicationState.IN_REVIEW:
            with transaction.atomic():
                review_complete(application=norrtalje, by=manager)
            norrtalje.refresh_from_db()
        if norrtalje.state == ApplicationState.REVIEWED and not norrtalje.decisions.exists():
            with transaction.atomic():
                decision_propose(
                    application=norrtalje,
                    by=manager,
                    outcome=DecisionOutcome.REJECTED,
                    justification=(
                        "Projektet når inte tröskeln för relevans: det prövar inte coworking "
                        "i den mening utlysningen avser."
                    ),
                    feedback=feedback_for_applicant(norrtalje),
                )

    def _two_factor(self, people) -> None:
        """The demo authenticator for everyone whose role needs the second factor."""
        key = base64.b32decode(DEMO_TOTP_SECRET).hex()
        for user in people.values():
            if requires_two_factor(user):
                TOTPDevice.objects.update_or_create(
                    user=user,
                    name=DEMO_TOTP_DEVICE,
                    defaults={"key": key, "confirmed": True, "drift": 0, "last_t": -1},
                )

    # -- follow-up, made through the services at the moments they would have happened ----------

    def _follow_up(self, people, hubs) -> None:
        """An earlier round (``FOLLOW_UP_CALL_SLUG``) with four grants in follow-up: Krokom's
        closed with its closing letter, Region Jämtland Härjedalen's final report approved with
        money to pay back, Östersund's final report submitted and waiting for the programme
        manager, Norrtälje's first instalment paid and its final report in draft (due in 20
        days). The pilot call's approval waits for acceptance. Each step runs once, at its
        moment (time travel), and only when the grant has not passed it yet."""
        import time_machine  # noqa: PLC0415 -- a dev dependency, like this command

        today = timezone.localdate()

        def on(days: int):
            moment = dt.datetime.combine(today + dt.timedelta(days=days), dt.time(10))
            return time_machine.travel(timezone.make_aware(moment), tick=True)

        call = self._follow_up_call(hubs, today)
        manager, decider = people["manager"], people["decider"]
        grants = []
        for stage, person, org_name, title, amount, summary, end, spent in FOLLOW_UP_GRANTS:
            with on(-370), transaction.atomic():
                application = self._follow_up_application(
                    call, people[person], org_name, title, amount, summary, hubs, today, end
                )
            grants.append((stage, people[person], application, spent))

        for _stage, _person, application, _spent in grants:
            application.refresh_from_db()
            if application.state == ApplicationState.SUBMITTED:
                with on(-355), transaction.atomic():
                    application_check_eligibility(
                        application=application,
                        by=manager,
                        items={item: True for item in EligibilityItem.values},
                        comment="Uppfyller utlysningens krav.",
                    )
                    application_start_review(application=application, by=manager)
            application.refresh_from_db()
            if application.state == ApplicationState.IN_REVIEW:
                with on(-350), transaction.atomic():
                    application_complete_review(application=application, by=manager)
            self._follow_up_decision(application, manager, decider, on)

        for stage, person, application, spent in grants:
            self._follow_up_grant(stage, person, application, spent, manager, on)

    def _follow_up_call(self, hubs, today) -> Call:
        start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=420), dt.time(8)))
        with transaction.atomic():
            call, created = Call.objects.get_or_create(
                slug=FOLLOW_UP_CALL_SLUG,
                defaults={
                    "title_sv": "Samverket 2025: coworking i offentlig sektor",
                    "title_en": "Samverket 2025: coworking in the public sector",
                    "summary_sv": "Den första omgången, vars projekt nu redovisas och avslutas.",
                    "summary_en": "The first round, whose projects are now reporting and closing.",
                    "description_sv": CALL_DESCRIPTION_SV,
                    "description_en": CALL_DESCRIPTION_EN,
                    "is_published": True,
                    "opens_at": start,
                    "closes_at": start + dt.timedelta(days=60, hours=15, minutes=59),
                    "budget": 2_000_000,
                    "max_amount": 500_000,
                },
            )
            if created:
                call.hubs.set(hubs.values())
            for position, (name_sv, name_en, guide_sv, guide_en, weight, threshold) in enumerate(
                CRITERIA
            ):
                Criterion.objects.get_or_create(
                    call=call,
                    position=position,
                    defaults={
                        "name_sv": name_sv,
                        "name_en": name_en,
                        "guidance_sv": guide_sv,
                        "guidance_en": guide_en,
                        "weight": weight,
                        "threshold": threshold,
                    },
                )
        return call

    def _follow_up_application(
        self, call, person, org_name, title, amount, summary, hubs, today, end
    ) -> Application:
        organisation = Organisation.objects.get(name=org_name)
        existing = Application.objects.filter(call=call, organisation=organisation, title=title)
        if existing.exists():
            return existing.get()
        application = application_create(call=call, organisation=organisation, by=person)
        data, lines = _content(title, hubs["ostersund"], amount, summary)
        data["period_start"] = today - dt.timedelta(days=320)
        data["period_end"] = today + dt.timedelta(days=end)
        application_update(application=application, by=person, data=data, budget_lines=lines)
        application_submit(application=application, by=person)
        return application

    def _follow_up_decision(self, application, manager, decider, on) -> None:
        """Approved at the amount requested, confirmed by the decision maker, letter made (which
        releases it and starts the time to accept)."""
        application.refresh_from_db()
        if application.state == ApplicationState.REVIEWED and not application.decisions.exists():
            with on(-345), transaction.atomic():
                decision = decision_propose(
                    application=application,
                    by=manager,
                    outcome=DecisionOutcome.APPROVED,
                    granted_amount=application.requested_amount,
                    conditions="Projektet redovisar hur många medarbetare som använt hubben.",
                    justification="Projektet svarar väl mot utlysningens syfte.",
                )
            with on(-344), transaction.atomic():
                decision_confirm(decision=decision, by=decider)
        confirmed = application.decisions.filter(status=DecisionStatus.CONFIRMED).first()
        if confirmed is not None and not hasattr(confirmed, "release"):
            with on(-344):
                decision_letter_generate(confirmed.pk)

    def _follow_up_grant(self, stage, person, application, spent, manager, on) -> None:
        """Acceptance and the first instalment, then the final report as far as ``stage``."""
        application.refresh_from_db()
        if application.state == ApplicationState.APPROVED:
            with on(-335), transaction.atomic():
                application_accept_grant(
                    application=application,
                    by=person,
                    text=acceptance_text(application, effective_decision(application)),
                )
        first = application.payments.filter(position=1, status=PaymentStatus.DUE).first()
        if first is not None:
            with on(-325), transaction.atomic():
                payment_mark_paid(
                    payment=first, by=manager, paid_on=timezone.localdate(), reference="F-1001"
                )
        report = application.reports.filter(kind=ReportKind.FINAL).first()
        if report is None:
            return
        end = report.due_on - dt.timedelta(days=application.call.final_report_days)
        days = (end - timezone.localdate()).days  # the project's last day, from today
        if report.status == ReportStatus.DRAFT and not report.what_was_done:
            costs = list(report.costs.all())
            amounts = spent or [cost.budgeted for cost in costs]
            complete = stage != "draft"
            with on(days + 50 if complete else days + 10), transaction.atomic():
                report = report_save(
                    report=report,
                    by=person,
                    **FOLLOW_UP_REPORT,
                    total_spent=sum(amounts) if complete else None,
                    spent={
                        cost.pk: amount if complete else None
                        for cost, amount in zip(costs, amounts, strict=True)
                    },
                )
                if complete:
                    report_submit(report=report, by=person)
        report.refresh_from_db()
        if stage in ("repayment", "closed") and report.status == ReportStatus.SUBMITTED:
            with on(days + 60), transaction.atomic():
                report_approve(report=report, by=manager, comment="Tack för en tydlig redovisning.")
        last = application.payments.filter(status=PaymentStatus.DUE).first()
        if stage == "closed" and last is not None:
            with on(days + 65), transaction.atomic():
                payment_mark_paid(
                    payment=last, by=manager, paid_on=timezone.localdate(), reference="F-1002"
                )
        application.refresh_from_db()
        if stage == "closed" and application.state == ApplicationState.FOLLOW_UP:
            with on(days + 80), transaction.atomic():
                application_close(application=application, by=manager)
        closing = getattr(application, "closing_letter", None)
        if closing is not None and not closing.sha256:
            with on(days + 80):
                closing_letter_generate(closing.pk)

    def _print_logins(self, people) -> None:
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /account/login/ as:"))
        for key, label in LOGIN_LABELS.items():
            self.stdout.write(f"  {people[key].email:<42} {label}")
        self.stdout.write(f"Password for every demo account: {PASSWORD}")
        self.stdout.write(
            "Staff, reviewers and the admin also type a code from an authenticator app: add the "
            f"key {DEMO_TOTP_SECRET} to one, or run `python manage.py demo_otp_codes`."
        )
