"""The reference group: panels, conflicts of interest, assignments and reviews (issue 3)."""
