"""The institutional pages' first texts: an accessibility statement on DIGG's model, a privacy
notice, the cookies and a contact page, in Swedish and English.

The agency's name and support address are read from the settings when the migration runs, so a
deployment starts with texts that name it; programme managers then edit them at
/manage/pages/. The texts are frozen here (a migration never imports the app's code). Rows that
already exist are left alone, so running it again changes nothing the agency wrote.
"""

from django.conf import settings
from django.db import migrations

ASSESSED_ON_SV = "3 december 2026"
ASSESSED_ON_EN = "3 December 2026"


def _contact_sv(email: str) -> str:
    return f"e-post till [{email}](mailto:{email})" if email else "via myndighetens växel"


def _contact_en(email: str) -> str:
    return f"email [{email}](mailto:{email})" if email else "through the agency's switchboard"


def _pages(agency: str, email: str) -> list[dict]:
    contact_sv = _contact_sv(email)
    contact_en = _contact_en(email)
    return [
        {
            "slug": "accessibility",
            "title_sv": "Tillgänglighetsredogörelse",
            "title_en": "Accessibility statement",
            "body_sv": f"""{agency} står bakom Samverket Grants, e-tjänsten för att söka,
bedöma och följa upp bidrag. Vi vill att så många som möjligt ska kunna använda tjänsten. Här
beskriver vi hur tjänsten uppfyller lagen (2018:1937) om tillgänglighet till digital offentlig
service, vilka kända brister som finns och hur du kan rapportera problem till oss så att vi kan
åtgärda dem.

## Hur tillgänglig är tjänsten?

Tjänsten är delvis förenlig med lagen om tillgänglighet till digital offentlig service, på grund
av de brister som beskrivs nedan. Vi arbetar mot nivå AA i WCAG 2.1 (standarden EN 301 549).

## Kända brister

- Bilagor som sökande laddar upp (PDF, Word, Excel) granskas inte av oss och kan vara
  otillgängliga. De omfattas inte av lagen när de kommer från någon annan än myndigheten.
- Några av handläggarnas tabeller, till exempel rankningen, är breda och kan behöva rullas i
  sidled på små skärmar.
- Texter som myndigheten skriver i utlysningarna kan sakna rubriker eller tydliga länktexter.

## Vad kan du göra om du inte kan använda delar av tjänsten?

Om du behöver innehåll från tjänsten i ett annat format, eller inte kan lämna in din ansökan på
grund av en brist, kontakta oss ({contact_sv}). Vi svarar normalt inom två arbetsdagar. En
ansökan som inte kunde lämnas in i tid på grund av ett fel hos oss kan få en ny tidsfrist.

## Rapportera brister i tjänstens tillgänglighet

Vi strävar hela tiden efter att förbättra tjänstens tillgänglighet. Om du upptäcker problem som
inte är beskrivna på den här sidan, eller om du anser att vi inte uppfyller lagens krav, meddela
oss ({contact_sv}) så att vi får veta att problemet finns.

## Tillsyn

Myndigheten för digital förvaltning (DIGG) ansvarar för tillsynen över lagen om tillgänglighet
till digital offentlig service. Om du inte är nöjd med hur vi hanterar dina synpunkter kan du
[anmäla det till DIGG](https://www.digg.se/analys-och-uppfoljning/lagen-om-tillganglighet-till-digital-offentlig-service-dos-lagen/anmal-bristande-tillganglighet).
Du når DIGG på [digg.se](https://www.digg.se), med e-post till
[info@digg.se](mailto:info@digg.se) och på telefon 0771-11 44 00.

## Hur vi testat tjänsten

Vi har gjort en självskattning (intern testning) av tjänsten: automatiska kontroller med axe på
varje sidtyp, test med enbart tangentbord, med skärmläsare och på en skärm som är 375 pixlar bred.

Senaste bedömningen gjordes den {ASSESSED_ON_SV}. Redogörelsen uppdaterades senast den
{ASSESSED_ON_SV}.
""",
            "body_en": f"""{agency} is responsible for Samverket Grants, the e-service for
applying for, reviewing and following up grants. We want as many people as possible to be able
to use it. This statement describes how the service complies with the Swedish Act (2018:1937)
on accessibility to digital public services, the shortcomings we know of, and how to report a
problem to us so that we can fix it.

## How accessible is the service?

The service is partially compliant with the Act, because of the shortcomings listed below. We
work towards level AA of WCAG 2.1 (the standard EN 301 549).

## Known shortcomings

- Attachments that applicants upload (PDF, Word, Excel) are not checked by us and may not be
  accessible. Content from others than the agency is not covered by the Act.
- Some of the case officers' tables, such as the ranking, are wide and may need scrolling
  sideways on small screens.
- Texts the agency writes in its calls may lack headings or clear link texts.

## What to do if you cannot use part of the service

If you need content from the service in another format, or cannot submit your application
because of a shortcoming, contact us ({contact_en}). We normally answer within two working
days. An application that could not be submitted in time because of a fault on our side can be
given a new deadline.

## Reporting accessibility problems

We keep working to improve the service. If you find a problem not described on this page, or
think that we do not meet the requirements of the Act, tell us ({contact_en}) so that we know
of it.

## Supervision

The Agency for Digital Government (DIGG) supervises the Act on accessibility to digital public
services. If you are not satisfied with how we handle your comments, you can
[report it to DIGG](https://www.digg.se/analys-och-uppfoljning/lagen-om-tillganglighet-till-digital-offentlig-service-dos-lagen/anmal-bristande-tillganglighet).
You reach DIGG at [digg.se](https://www.digg.se), by email to
[info@digg.se](mailto:info@digg.se) and by phone on +46 771 11 44 00.

## How we tested the service

We made a self-assessment (internal testing): automated checks with axe on every kind of page,
tests with the keyboard alone, with a screen reader and on a screen 375 pixels wide.

The latest assessment was made on {ASSESSED_ON_EN}. This statement was last updated on
{ASSESSED_ON_EN}.
""",
        },
        {
            "slug": "privacy",
            "title_sv": "Så behandlar vi dina personuppgifter",
            "title_en": "How we handle your personal data",
            "body_sv": f"""## Personuppgiftsansvarig

{agency} är personuppgiftsansvarig för de personuppgifter som behandlas i Samverket Grants.
Du når oss och vårt dataskyddsombud {contact_sv}.

## Vilka uppgifter och varför

Vi behandlar namn, e-postadress, telefonnummer, språkval och din roll i en organisation för att

- ta emot, handlägga och besluta om ansökningar om bidrag,
- låta sakkunniga bedöma ansökningarna och hantera jäv,
- följa upp beviljade bidrag: rekvisitioner, utbetalningar och rapporter,
- skicka kvitton, beslut och påminnelser till dig,
- skydda tjänsten: inloggningar, misslyckade inloggningsförsök och en granskningslogg över vem
  som gjort vad.

## Rättslig grund

Behandlingen är nödvändig för att utföra en uppgift av allmänt intresse och som ett led i
myndighetsutövning (artikel 6.1 e i dataskyddsförordningen) enligt myndighetens instruktion och
förordningen om bidraget. Att bevara allmänna handlingar är en rättslig förpliktelse (artikel
6.1 c) enligt arkivlagen (1990:782).

## Hur länge vi sparar uppgifterna

Ansökningar och beslut är allmänna handlingar och bevaras enligt arkivlagen och myndighetens
informationshanteringsplan. Kontaktuppgifter om personer som bara hör till avslutade ärenden
anonymiseras automatiskt när den tid som utlysningen anger har gått (normalt tio år efter att
ärendet avslutades).

## Vilka som får del av uppgifterna

Handläggare och beslutsfattare hos oss, och de sakkunniga som bedömer en ansökan. Uppgifter i
allmänna handlingar kan lämnas ut enligt offentlighetsprincipen efter en sekretessprövning. Vi
säljer aldrig uppgifter och lämnar dem inte till länder utanför EU/EES.

## Dina rättigheter

Du har rätt att få veta vilka uppgifter vi har om dig (registerutdrag), att få felaktiga
uppgifter rättade, och i vissa fall att få uppgifter raderade eller behandlingen begränsad, och
att invända mot behandlingen. Uppgifter i allmänna handlingar kan vi inte radera så länge
arkivlagen kräver att de bevaras.

Inloggad kan du själv se och ladda ned det vi har om dig på sidan
[Mina uppgifter](/account/my-data/).

Om du anser att vi behandlar dina uppgifter fel kan du klaga hos Integritetsskyddsmyndigheten
(IMY), [imy.se](https://www.imy.se).
""",
            "body_en": f"""## Controller

{agency} is the controller of the personal data handled in Samverket Grants. You reach us and
our data protection officer by {contact_en}.

## What we handle and why

We handle names, email addresses, phone numbers, language choice and your role in an
organisation in order to

- receive, handle and decide applications for grants,
- let experts review the applications and handle conflicts of interest,
- follow up grants: payments and reports,
- send you receipts, decisions and reminders,
- protect the service: logins, failed login attempts and an audit log of who did what.

## Legal basis

The handling is necessary for a task in the public interest and in the exercise of official
authority (article 6(1)(e) of the GDPR) under the agency's instructions and the ordinance on
the grant. Keeping official documents is a legal obligation (article 6(1)(c)) under the
Archives Act (1990:782).

## How long we keep it

Applications and decisions are official documents, kept as the Archives Act and the agency's
records management plan say. Contact details of people tied only to closed cases are
anonymised automatically once the time the call states has passed (normally ten years after
the case was closed).

## Who sees it

Case officers and decision makers at the agency, and the experts who review an application.
Data in official documents may be disclosed under the principle of public access after a
secrecy assessment. We never sell data and do not transfer it outside the EU/EEA.

## Your rights

You have the right to know what we hold on you, to have wrong data corrected, in some cases to
have data erased or its handling restricted, and to object to the handling. Data in official
documents cannot be erased as long as the Archives Act requires it to be kept.

Logged in, you can see and download what we hold on you on the page
[My data](/account/my-data/).

If you think we handle your data wrongly, you can complain to the Swedish Authority for
Privacy Protection (IMY), [imy.se](https://www.imy.se/en/).
""",
        },
        {
            "slug": "cookies",
            "title_sv": "Kakor (cookies)",
            "title_en": "Cookies",
            "body_sv": """Samverket Grants använder bara kakor som är nödvändiga för att tjänsten
ska fungera. Enligt lagen (2022:482) om elektronisk kommunikation behövs inget samtycke för
sådana kakor, och vi frågar därför inte. Vi använder inga kakor för statistik eller
marknadsföring och ingen kaka från någon annan webbplats.

Tabellen nedan visar vilka kakor tjänsten sätter.
""",
            "body_en": """Samverket Grants uses only the cookies it needs to work. Under the
Swedish Electronic Communications Act (2022:482) such cookies need no consent, so we do not ask
for it. We use no cookies for statistics or marketing, and no cookie from another site.

The table below lists the cookies the service sets.
""",
        },
        {
            "slug": "contact",
            "title_sv": "Kontakt",
            "title_en": "Contact",
            "body_sv": f"""## Frågor om en utlysning eller din ansökan

Kontakta oss {contact_sv}. Ange ansökans diarienummer (till exempel 2026-00042) om du har ett,
men skriv inga känsliga personuppgifter i e-posten.

## Tekniska problem

Om något i tjänsten inte fungerar, skriv vad du försökte göra, vilken sida du var på och vilken
tid det hände. Om du inte kan lämna in en ansökan före sista dagen på grund av ett fel hos oss,
kontakta oss innan tiden gått ut om du kan.

## Tillgänglighet

Se [tillgänglighetsredogörelsen](/about/accessibility/) för hur du rapporterar brister.

## Myndigheten

{agency}
""",
            "body_en": f"""## Questions about a call or your application

Contact us by {contact_en}. Give your application's registration number (for example
2026-00042) if you have one, but write no sensitive personal data in the email.

## Technical problems

If something in the service does not work, tell us what you tried to do, on which page and at
what time. If a fault on our side stops you from submitting an application before the
deadline, contact us before the deadline passes if you can.

## Accessibility

See the [accessibility statement](/about/accessibility/) for how to report a problem.

## The agency

{agency}
""",
        },
    ]


def seed_pages(apps, schema_editor):
    SitePage = apps.get_model("grants", "SitePage")
    for page in _pages(settings.AGENCY_NAME, settings.SUPPORT_EMAIL):
        # Stripped as the edit form strips what it is sent, so saving unchanged changes nothing.
        values = {key: value.strip() for key, value in page.items() if key != "slug"}
        SitePage.objects.get_or_create(slug=page["slug"], defaults=values)


class Migration(migrations.Migration):
    dependencies = [("grants", "0007_site_page")]

    operations = [migrations.RunPython(seed_pages, migrations.RunPython.noop)]
