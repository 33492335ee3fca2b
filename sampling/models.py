"""Moderation samples: the chosen candidates and the reasons (see shared SAMPLING.md).

The models arrive with the sampling issue; the app exists so the layout is fixed from day one.
"""
