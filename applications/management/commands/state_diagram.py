"""Print the application's state diagram, made from the model's own transitions.

    python manage.py state_diagram > docs/state-diagram.mmd              # Mermaid (default)
    python manage.py state_diagram --format dot > docs/state-diagram.dot # GraphViz

The dot output is django-fsm's ``graph_transitions`` graph with its statements sorted: the
stock command walks Python sets, so its line order changes from run to run, which would make
the committed file churn. Labels are English whatever the active language, for the same reason.
tests/applications/models/test_state_machine.py regenerates both files and compares them with
the committed ones.
"""

from django.core.management.base import BaseCommand
from django.utils import translation
from django_fsm.management.commands.graph_transitions import generate_dot, one_fsm_fields_data

from applications.enums import ApplicationState
from applications.models import Application


def transitions() -> list[tuple[str, str, str]]:
    """(name, source, target) for every edge, in the states' declared order."""
    field = Application._meta.get_field("state")
    order = {state: i for i, state in enumerate(ApplicationState.values)}
    edges = {(t.name, t.source, t.target) for t in field.get_all_transitions(Application)}
    return sorted(edges, key=lambda e: (order[e[1]], order[e[2]], e[0]))


def mermaid() -> str:
    edges = transitions()
    initial = Application._meta.get_field("state").default
    sources = {source for _name, source, _target in edges}
    lines = ["stateDiagram-v2", f"    [*] --> {initial}"]
    lines += [f"    {source} --> {target}: {name}" for name, source, target in edges]
    lines += [f"    {state} --> [*]" for state in ApplicationState.values if state not in sources]
    return "\n".join(lines) + "\n"


def dot() -> str:
    with translation.override("en"):
        graph = str(generate_dot([one_fsm_fields_data(Application, "state")]))
    lines = graph.splitlines()
    # digraph { / subgraph ... { / graph [label=...] / nodes and edges / } / }
    head, body, tail = lines[:3], lines[3:-2], lines[-2:]
    return "\n".join([*head, *sorted(body), *tail]) + "\n"


class Command(BaseCommand):
    help = "Print the application's state diagram (Mermaid or GraphViz dot) from the model."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["mermaid", "dot"], default="mermaid")

    def handle(self, *args, **options):
        self.stdout.write(dot() if options["format"] == "dot" else mermaid(), ending="")
