"""The demo's second call, of another kind than the coworking call: digital meeting rooms for
regions (regions only, no hubs, its own application form and budget categories, one interim
report, the outbox on, its own appeal text), with a draft, a submitted and a returned
application. Mixed into ``seed_demo``'s command like ``demo_follow_up``."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from applications.models import Application, Organisation
from applications.services.transitions import (
    application_return_for_completion,
    application_submit,
)
from applications.services.working_copy import application_create, application_update
from grants.enums import OrganisationKind
from grants.form_defaults import create_definition
from grants.models import Call, Criterion

ROOMS_CALL_SLUG = "digitala-motesrum-regioner"
ROOMS_CALL = {
    "title_sv": "Digitala mötesrum för regioner",
    "title_en": "Digital meeting rooms for regions",
    "summary_sv": (
        "Regioner kan söka upp till 300 000 kronor för att utrusta mötesrum där medarbetare på "
        "olika orter möts digitalt."
    ),
    "summary_en": (
        "Regions can apply for up to SEK 300,000 to equip meeting rooms where staff in "
        "different places meet digitally."
    ),
    "description_sv": (
        "## Vem får söka\n\nRegioner. Kommuner och myndigheter söker i andra utlysningar.\n\n"
        "## Vad stödet får användas till\n\n- skärmar, kameror och mikrofoner\n"
        "- licenser för mötestjänster\n- installation\n- utbildning av medarbetarna\n\n"
        "Projektet lämnar en delrapport efter halva tiden och en slutrapport."
    ),
    "description_en": (
        "## Who may apply\n\nRegions. Municipalities and agencies apply in other calls.\n\n"
        "## What the grant pays for\n\n- screens, cameras and microphones\n"
        "- licences for meeting services\n- installation\n- training the staff\n\n"
        "The project submits an interim report half-way and a final report."
    ),
    "budget": 2_000_000,
    "max_amount": 300_000,
    "project_start_earliest": dt.date(2027, 1, 1),
    "project_end_latest": dt.date(2027, 12, 31),
    "interim_reports": 1,
    "payment_plan": [
        {"share": 50, "after": "acceptance"},
        {"share": 30, "after": "interim_report"},
        {"share": 20, "after": "final_report"},
    ],
    "hold_decisions_for_release": True,
    "decision_appealable": True,
    "appeal_text_sv": (
        "Beslutet kan överklagas till förvaltningsrätten inom tre veckor från den dag ni fick "
        "del av det. Skicka överklagandet till myndigheten, som prövar om det kommit in i tid."
    ),
    "appeal_text_en": (
        "The decision can be appealed to the administrative court within three weeks of the day "
        "you received it. Send the appeal to the agency, which checks that it arrived in time."
    ),
    "legal_basis_sv": "Förordningen (2026:100) om statsbidrag till digitala mötesrum.",
    "legal_basis_en": "The Ordinance (2026:100) on state grants for digital meeting rooms.",
}
ROOMS_SECTIONS = [
    {
        "title_sv": "Mötesrummen",
        "title_en": "The meeting rooms",
        "intro_sv": "Beskriv rummen som ska utrustas och när de ska vara klara.",
        "intro_en": "Describe the rooms to be equipped and when they will be ready.",
        "questions": [
            {
                "key": "rooms",
                "kind": "number",
                "label_sv": "Antal mötesrum",
                "label_en": "Number of meeting rooms",
                "required": True,
                "min_value": 1,
                "max_value": 50,
            },
            {
                "key": "room_kind",
                "kind": "single_choice",
                "label_sv": "Vilken sorts rum",
                "label_en": "What kind of room",
                "required": True,
                "choices": [
                    {"value": "small", "label_sv": "Litet rum (2–6)", "label_en": "Small (2–6)"},
                    {"value": "large", "label_sv": "Stort rum (7–20)", "label_en": "Large (7–20)"},
                    {"value": "mixed", "label_sv": "Båda sorterna", "label_en": "Both kinds"},
                ],
            },
            {
                "key": "ready_by",
                "kind": "date",
                "label_sv": "Rummen är klara senast",
                "label_en": "The rooms are ready by",
                "required": True,
            },
            {
                "key": "own_funding",
                "kind": "amount",
                "label_sv": "Regionens egen finansiering",
                "label_en": "The region's own funding",
                "required": False,
                "min_value": 0,
            },
        ],
    }
]
ROOMS_BUDGET_CATEGORIES = [
    {"key": "screens", "label_sv": "Skärmar och kameror", "label_en": "Screens and cameras"},
    {"key": "licences", "label_sv": "Licenser", "label_en": "Licences"},
    {"key": "install", "label_sv": "Installation", "label_en": "Installation"},
    {"key": "training", "label_sv": "Utbildning", "label_en": "Training"},
]
# (name sv, name en, guidance sv, guidance en, weight, threshold), as ``CRITERIA``
ROOMS_CRITERIA = [
    (
        "Nytta för länets invånare",
        "Benefit to the county's residents",
        "Hur mycket resor och väntan sparar rummen för invånare och medarbetare i länet?",
        "How much travel and waiting do the rooms save the county's residents and staff?",
        2,
        4,
    ),
    (
        "Genomförbarhet",
        "Feasibility",
        "Är tidplanen för inköp och installation realistisk?",
        "Is the timetable for purchase and installation realistic?",
        1,
        None,
    ),
    (
        "Budget",
        "Budget",
        "Är kostnaderna rimliga för antalet rum?",
        "Are the costs reasonable for the number of rooms?",
        1,
        None,
    ),
]
# (person, organisation, title, amount, summary, rooms, kind, ready by, own funding, state)
ROOMS_APPLICATIONS = [
    (
        "applicant3",
        "Region Jämtland Härjedalen",
        "Mötesrum på länets vårdcentraler",
        280_000,
        "Tolv vårdcentraler får ett mötesrum var för digitala konsultationer mellan orterna.",
        12,
        "small",
        "2027-06-30",
        60_000,
        "draft",
    ),
    (
        "applicant5",
        "Region Västernorrland",
        "Gemensamma mötesrum för regionens förvaltningar",
        300_000,
        "Fyra stora mötesrum i Härnösand och Sundsvall kopplas ihop för länsövergripande möten.",
        4,
        "large",
        "2027-04-30",
        None,
        "submitted",
    ),
    (
        "applicant5",
        "Region Västernorrland",
        "Hybridmöten i kollektivtrafikförvaltningen",
        150_000,
        "Trafikplanerare i Örnsköldsvik och Sundsvall möts digitalt i stället för att resa.",
        3,
        "mixed",
        "2027-09-30",
        20_000,
        "returned",
    ),
]


def rooms_content(title: str, amount: int, summary: str, rooms, kind, ready_by, own) -> tuple:
    """An application to the meeting-room call: no hub, its own answers and budget lines."""
    data = {
        "title": title,
        "summary": summary,
        "period_start": dt.date(2027, 2, 1),
        "period_end": dt.date(2027, 11, 30),
        "requested_amount": amount,
    }
    answers = {"rooms": rooms, "room_kind": kind, "ready_by": ready_by}
    if own is not None:
        answers["own_funding"] = own
    screens = amount * 6 // 10
    install = amount * 2 // 10
    lines = [
        {
            "category": "screens",
            "description": "Skärmar, kameror och mikrofoner",
            "amount": screens,
        },
        {"category": "install", "description": "Installation i rummen", "amount": install},
        {
            "category": "training",
            "description": "Utbildning av medarbetarna",
            "amount": amount - screens - install,
        },
    ]
    return data, lines, answers


class RoomsCallDemo:
    """The meeting-room call and its applications, made through the services."""

    def _rooms_call(self) -> Call:
        """The second call, of another kind: regions only, no hubs, its own form and budget
        categories, one interim report, the outbox on and its own appeal text. Open now."""
        now = timezone.localtime()
        call, created = Call.objects.get_or_create(
            slug=ROOMS_CALL_SLUG,
            defaults={
                **ROOMS_CALL,
                "eligible_kinds": [OrganisationKind.REGION],
                "is_published": True,
                "opens_at": (now - dt.timedelta(days=14)).replace(
                    hour=8, minute=0, second=0, microsecond=0
                ),
                "closes_at": (now + dt.timedelta(days=42)).replace(
                    hour=12, minute=0, second=0, microsecond=0
                ),
            },
        )
        if created:
            create_definition(call, sections=ROOMS_SECTIONS, categories=ROOMS_BUDGET_CATEGORIES)
            for position, (name_sv, name_en, guide_sv, guide_en, weight, threshold) in enumerate(
                ROOMS_CRITERIA
            ):
                Criterion.objects.create(
                    call=call,
                    position=position,
                    name_sv=name_sv,
                    name_en=name_en,
                    guidance_sv=guide_sv,
                    guidance_en=guide_en,
                    weight=weight,
                    threshold=threshold,
                )
        return call

    def _rooms_applications(self, rooms, people) -> None:
        """In the meeting-room call: a draft, a submitted application and one returned for
        completion, written against the call's own form."""
        for person, org_name, title, amount, summary, *answers, state in ROOMS_APPLICATIONS:
            by = people[person]
            organisation = Organisation.objects.get(name=org_name)
            if Application.objects.filter(call=rooms, organisation=organisation, title=title):
                continue
            with transaction.atomic():
                application = application_create(call=rooms, organisation=organisation, by=by)
                data, lines, answered = rooms_content(title, amount, summary, *answers)
                application = application_update(
                    application=application,
                    by=by,
                    data=data,
                    budget_lines=lines,
                    answers=answered,
                )
                if state == "draft":
                    continue
                application_submit(application=application, by=by)
                if state == "returned":
                    application_return_for_completion(
                        application=application,
                        by=people["manager"],
                        message="Ange hur många medarbetare som ska använda rummen.",
                        deadline=timezone.now() + dt.timedelta(days=10),
                    )
