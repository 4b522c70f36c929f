"""Reads of ``applications``, one module per feature.

Nothing is re-exported here: import a read from its feature module
(``from applications.selectors.decisions import effective_decision``), so a name says where it
lives and a grep finds its one definition.
"""
