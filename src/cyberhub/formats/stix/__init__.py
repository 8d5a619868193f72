"""STIX 2.1: a fast per-object validator and indicator-pattern helpers.

Public API::

    from cyberhub.formats.stix import Problem, validate_object, simple_comparisons
"""

from cyberhub.formats.stix.patterns import pattern_problems, simple_comparisons
from cyberhub.formats.stix.validate import Problem, validate_object

__all__ = ["Problem", "pattern_problems", "simple_comparisons", "validate_object"]
