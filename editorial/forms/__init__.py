"""The editorial forms, one module per area (``posts``, ``members``, ``urgent``…) plus the
shared fields (``dates``: times as browsers' pickers send them; ``networks``: per-network options).

Import a form from its module. This ``__init__`` imports none of them on purpose: a service
reads the date bounds of ``dates``, and importing every form here would pull the form modules
(and the services they read limits from) into that service's import.
"""
