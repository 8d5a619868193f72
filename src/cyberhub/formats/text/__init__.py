"""Free-text import: a pasted report or a text, HTML or PDF file → candidate values for
the member to confirm → STIX 2.1.

Public API::

    from cyberhub.formats.text import candidates, to_text
"""

from cyberhub.formats.text.candidates import candidates
from cyberhub.formats.text.documents import to_text

__all__ = ["candidates", "to_text"]
