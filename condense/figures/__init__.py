"""Figures of the report; each module here is one figure (protocol in :mod:`condense.figures._base`)."""
