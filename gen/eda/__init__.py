"""The family-free EDA engine: liberty, netlists, cell models, activity, power, synthesis.

Nothing here knows a design family; :mod:`gen.flow` and the family plug-ins build on it.
"""
