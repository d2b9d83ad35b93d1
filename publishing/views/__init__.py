"""The publishing pages, one module per area: ``health`` (probe, metrics, the admin health
page), ``connect`` (connecting and testing official accounts), ``late`` (held late posts).
``publishing.urls`` maps each area's paths.
"""
