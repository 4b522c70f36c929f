"""Reads of ``reviews``, one module per feature.

Nothing is re-exported here: import a read from its feature module
(``from reviews.selectors.ranking import ranking_for``).
"""
