"""The editorial pages, one module per area; ``editorial.urls`` maps each area's paths.

Thin views: fetch through a selector (404), call one service, turn refusals into messages.
"""
