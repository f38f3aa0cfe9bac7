"""Midlands connectivity gap mapper.

Data flow, one module per stage::

    fetch (later) -> load/ -> join -> score -> render / pack

``mapper.pipeline`` wires the stages together for the ``build`` command; the
``mapper.cli`` module is a thin layer over it that turns domain errors into
one-line messages.
"""

__version__ = "0.1.0"
