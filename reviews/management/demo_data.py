"""The demo's data: people, organisations, calls' texts, applications, criteria, scores and
grants, as plain values (`manage.py seed_demo` makes them through the services)."""

import datetime as dt

from stdnum import luhn

from applications.enums import (
    BudgetCategory,
    County,
    VerificationStatus,
)
from applications.rules import DECISION_MAKERS, PROGRAMME_MANAGERS
from grants.enums import OrganisationKind
from grants.form_defaults import create_definition
from grants.models import Call, Hub

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
    # Registered Bräcke kommun, which waits for the agency's check (not a printed login).
    (
        "pending_admin",
        "stina.olsson@bracke.example.se",
        "Stina Olsson",
        "bracke",
        True,
        False,
        [],
        False,
    ),
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
    (
        "applicant5",
        "nils.aberg@rvn.example.se",
        "Nils Åberg",
        "vasternorrland",
        True,
        True,
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
    "vasternorrland": (
        "Region Västernorrland",
        "232100020",
        OrganisationKind.REGION,
        County.VASTERNORRLAND,
    ),
}

# Registered, not yet checked by the agency: the programme manager's verification queue.
PENDING_ORGANISATIONS = {
    "bracke": ("Bräcke kommun", "212000248", OrganisationKind.MUNICIPALITY, County.JAMTLAND),
}

DEMO_VERIFICATION_NOTE = "Demo organisation: verified when the demo was seeded."


def organisation_defaults(name: str, kind: str, county: str, *, verified: bool, at) -> dict:
    """An organisation's fields: verified by the agency (as declared), or waiting for it."""
    defaults = {"name": name, "declared_kind": kind, "county": county}
    if verified:
        defaults.update(
            verification_status=VerificationStatus.VERIFIED,
            verified_kind=kind,
            verified_at=at,
            verification_note=DEMO_VERIFICATION_NOTE,
        )
    return defaults


LOGIN_LABELS = {
    "applicant": "applicant (administrator and signatory, Östersunds kommun)",
    "colleague": "applicant (member, Östersunds kommun)",
    "applicant2": "second applicant (administrator and signatory, Krokoms kommun)",
    "applicant3": "applicant (administrator and signatory, Region Jämtland Härjedalen)",
    "applicant4": "applicant (administrator and signatory, Norrtälje kommun)",
    "applicant5": "applicant (administrator and signatory, Region Västernorrland)",
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


def with_coworking_form(call: Call) -> None:
    """The coworking call's application form, for a demo call that has none yet (a call made
    before forms per call got it from the migration)."""
    if not call.form_sections.exists() and not call.budget_categories.exists():
        create_definition(call)


def _content(title: str, hub: Hub, amount: int, summary: str) -> tuple[dict, list[dict]]:
    data = {
        "title": title,
        "summary": summary,
        "hub": hub,
        "period_start": dt.date(2027, 2, 1),
        "period_end": dt.date(2027, 12, 31),
        "requested_amount": amount,
        # The coworking form's questions (``grants.form_defaults``).
        "answers": {
            "what_to_try": (
                "Medarbetare arbetar två dagar i veckan från hubben i stället för att pendla "
                "till kontoret, och vi följer upp hur det påverkar samarbete, hälsa och restid."
            ),
            "participants": 24,
            "expected_results": (
                "Kortare restid, fler kontakter med andra offentliga organisationer och en "
                "modell för hybridarbete som kan användas i hela förvaltningen."
            ),
        },
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


# The second call, of another kind: regions only, no hubs, its own form and budget categories,
# an interim report and the outbox on. Open now, with applications in a few states.
