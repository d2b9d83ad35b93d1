"""The permission matrix: every URL, for every kind of user, on an object in and out of their
scope, read (GET) and written (POST), against one table of what each may do.

Each request runs in a savepoint that is rolled back afterwards, so every user meets the same
world, built once for the module. Around each request the database is fingerprinted (every
row of every table of our apps, of guardian and of auth): a request that is not an expected
write must leave it exactly as it was.

The POST payloads are valid for the user who holds the right: their cell reads ``W`` (the
write happened), which proves the other cells' refusals are not an artefact of a bad form.

Codes, one per cell (see ``_outcome``):

    W  answered (2xx/3xx, not to the login) and the database changed: the write happened
    R  answered, nothing written, no error: a read
    X  answered, nothing written, and the service refused in words (an error message or a
       400 form): the user may see the object but not do this
    D  403 or 404, nothing written
    L  sent to the login page (the site's or the admin's), nothing written
    -  405: the method is not accepted at all, nothing written

Scopes: ``in`` is an object of the home unit (``sicom``, where author, reviewer, publisher and
administrator hold their roles), ``out`` the same kind of object in another ministry's unit
(``autre``, where o_author and o_reviewer hold theirs); ``-`` for URLs that take no object.

The Django admin is not walked (its hundreds of generated routes guard themselves through
``ModelAdmin.has_*_permission`` and ``admin_view``); the table covers its index and one
changelist per app that registers a model (a test checks none is missing): the generated
views of one app share their guard, and a staff member allowed one model's list only shows
the line between them.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import constants as message_levels
from django.db import connection, models, transaction
from django.forms import BaseForm
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.static import serve as static_serve
from PIL import Image

from accounts.models import AccountGrant, Delegation, Membership, OrgUnit, SocialAccount, User
from accounts.organisation import account_grant_create
from accounts.services import membership_create
from charter import services as charter_services
from charter.models import Charter, ElectionWindow, ElectoralReferent
from charter.version_diff import rule_states
from editorial import services
from editorial.forms.settings_rules import CharterVersionForm
from editorial.models import (
    ApprovalPolicy,
    ApprovalStep,
    Consultation,
    Freeze,
    Post,
    PostHocReview,
    RevisionMedia,
)
from editorial.services import approval_chains, consultations, urgent, waivers
from publishing.services import scheduler
from tests.factories import make_account, make_delegation, make_unit, make_user

USERS = (
    "anon",
    "inactive",
    "outsider",
    "o_author",
    "o_reviewer",
    "author",
    "reviewer",
    "publisher",
    "admin",
    "staff",
)
CODES = {"W", "R", "X", "D", "L", "-"}
# The table's column headings (four letters keep a row within 100 characters).
COLUMNS = {
    "anon": "anon",
    "inac": "inactive",
    "outs": "outsider",
    "oaut": "o_author",
    "orev": "o_reviewer",
    "auth": "author",
    "revw": "reviewer",
    "publ": "publisher",
    "admn": "admin",
    "staf": "staff",
}

# fmt: off
TABLE = """
url                                       verb obj anon inac outs oaut orev auth revw publ admn staf
/admin/login/                             GET  -   L    L    L    L    L    L    L    L    L    L
/admin/login/                             POST -   L    L    L    L    L    L    L    L    L    L
accessibility                             GET  -   R    R    R    R    R    R    R    R    R    R
accessibility                             POST -   -    -    -    -    -    -    -    -    -    -
accounts:backup_codes_renew               GET  -   L    L    -    -    -    -    -    -    -    -
accounts:backup_codes_renew               POST -   L    L    W    W    W    W    W    W    W    W
accounts:second_factor                    GET  -   L    L    R    R    R    R    R    R    R    R
accounts:second_factor                    POST -   L    L    R    R    R    R    R    R    R    R
accounts:second_factor_setup              GET  -   L    L    R    R    R    R    R    R    R    R
accounts:second_factor_setup              POST -   L    L    R    R    R    R    R    R    R    R
accounts:second_factor_verify             GET  -   L    L    R    R    R    R    R    R    R    R
accounts:second_factor_verify             POST -   L    L    R    R    R    R    R    R    R    R
admin:axes_accessattempt_changelist       GET  -   L    L    L    L    L    L    L    L    L    D
admin:axes_accessattempt_changelist       POST -   L    L    L    L    L    L    L    L    L    D
admin:otp_static_staticdevice_changelist  GET  -   L    L    L    L    L    L    L    L    L    D
admin:otp_static_staticdevice_changelist  POST -   L    L    L    L    L    L    L    L    L    D
admin:otp_totp_totpdevice_changelist      GET  -   L    L    L    L    L    L    L    L    L    D
admin:otp_totp_totpdevice_changelist      POST -   L    L    L    L    L    L    L    L    L    D
admin:accounts_membership_changelist      GET  -   L    L    L    L    L    L    L    L    L    R
admin:accounts_membership_changelist      POST -   L    L    L    L    L    L    L    L    L    R
admin:auth_group_changelist               GET  -   L    L    L    L    L    L    L    L    L    D
admin:auth_group_changelist               POST -   L    L    L    L    L    L    L    L    L    D
admin:charter_charter_changelist          GET  -   L    L    L    L    L    L    L    L    L    D
admin:charter_charter_changelist          POST -   L    L    L    L    L    L    L    L    L    D
admin:editorial_post_changelist           GET  -   L    L    L    L    L    L    L    L    L    D
admin:editorial_post_changelist           POST -   L    L    L    L    L    L    L    L    L    D
admin:index                               GET  -   L    L    L    L    L    L    L    L    L    R
admin:index                               POST -   L    L    L    L    L    L    L    L    L    R
admin:publishing_publication_changelist   GET  -   L    L    L    L    L    L    L    L    L    D
admin:publishing_publication_changelist   POST -   L    L    L    L    L    L    L    L    L    D
editorial:approve                         GET  in  L    L    -    -    -    -    -    -    -    -
editorial:approve                         GET  out L    L    -    -    -    -    -    -    -    -
editorial:approve                         POST in  L    L    D    D    D    D    W    D    W    D
editorial:approve                         POST out L    L    D    D    W    D    D    D    D    D
editorial:calendar                        GET  in  L    L    X    X    X    R    R    R    R    X
editorial:calendar                        GET  out L    L    X    R    R    X    X    X    X    X
editorial:calendar                        POST in  L    L    -    -    -    -    -    -    -    -
editorial:calendar                        POST out L    L    -    -    -    -    -    -    -    -
editorial:calendar_events                 GET  in  L    L    X    X    X    R    R    R    R    X
editorial:calendar_events                 GET  out L    L    X    R    R    X    X    X    X    X
editorial:calendar_events                 POST in  L    L    -    -    -    -    -    -    -    -
editorial:calendar_events                 POST out L    L    -    -    -    -    -    -    -    -
editorial:calendar_move                   GET  in  L    L    -    -    -    -    -    -    -    -
editorial:calendar_move                   GET  out L    L    -    -    -    -    -    -    -    -
editorial:calendar_move                   POST in  L    L    D    D    D    D    D    W    W    D
editorial:calendar_move                   POST out L    L    D    D    D    D    D    D    D    D
editorial:comment_add                     GET  in  L    L    -    -    -    -    -    -    -    -
editorial:comment_add                     GET  out L    L    -    -    -    -    -    -    -    -
editorial:comment_add                     POST in  L    L    D    D    D    W    W    W    W    D
editorial:comment_add                     POST out L    L    D    W    W    D    D    D    D    D
editorial:compose                         GET  in  L    L    R    R    R    R    R    R    R    R
editorial:compose                         GET  out L    L    R    R    R    R    R    R    R    R
editorial:compose                         POST in  L    L    X    X    X    W    X    X    W    X
editorial:compose                         POST out L    L    X    W    X    X    X    X    X    X
editorial:consultation_answer             GET  in  L    L    -    -    -    -    -    -    -    -
editorial:consultation_answer             GET  out L    L    -    -    -    -    -    -    -    -
editorial:consultation_answer             POST in  L    L    D    D    D    W    W    W    W    D
editorial:consultation_answer             POST out L    L    D    W    W    D    D    D    D    D
editorial:consultation_ask                GET  in  L    L    -    -    -    -    -    -    -    -
editorial:consultation_ask                GET  out L    L    -    -    -    -    -    -    -    -
editorial:consultation_ask                POST in  L    L    D    D    D    W    W    D    W    D
editorial:consultation_ask                POST out L    L    D    W    W    D    D    D    D    D
editorial:consultation_cancel             GET  in  L    L    -    -    -    -    -    -    -    -
editorial:consultation_cancel             GET  out L    L    -    -    -    -    -    -    -    -
editorial:consultation_cancel             POST in  L    L    D    D    D    W    D    D    D    D
editorial:consultation_cancel             POST out L    L    D    W    D    D    D    D    D    D
editorial:dashboard                       GET  -   L    L    R    R    R    R    R    R    R    R
editorial:dashboard                       POST -   L    L    R    R    R    R    R    R    R    R
editorial:delegation_end                  GET  in  L    L    -    -    -    -    -    -    -    -
editorial:delegation_end                  GET  out L    L    -    -    -    -    -    -    -    -
editorial:delegation_end                  POST in  L    L    D    D    D    D    W    X    D    D
editorial:delegation_end                  POST out L    L    D    D    W    D    D    D    D    D
editorial:delegations                     GET  in  L    L    R    R    R    R    R    R    R    R
editorial:delegations                     GET  out L    L    R    R    R    R    R    R    R    R
editorial:delegations                     POST in  L    L    X    X    X    X    W    W    W    X
editorial:delegations                     POST out L    L    X    X    W    X    X    X    X    X
editorial:edit                            GET  in  L    L    D    D    D    R    D    D    D    D
editorial:edit                            GET  out L    L    D    R    D    D    D    D    D    D
editorial:edit                            POST in  L    L    D    D    D    W    D    D    D    D
editorial:edit                            POST out L    L    D    W    D    D    D    D    D    D
editorial:freeze_lift                     GET  in  L    L    -    -    -    -    -    -    -    -
editorial:freeze_lift                     GET  out L    L    -    -    -    -    -    -    -    -
editorial:freeze_lift                     POST in  L    L    D    D    D    D    D    W    W    D
editorial:freeze_lift                     POST out L    L    D    D    D    D    D    D    D    D
editorial:freezes                         GET  in  L    L    D    D    D    D    D    R    R    D
editorial:freezes                         GET  out L    L    D    D    D    D    D    R    R    D
editorial:freezes                         POST in  L    L    D    D    D    D    D    W    W    D
editorial:freezes                         POST out L    L    D    D    D    D    D    X    X    D
editorial:live_check                      GET  in  L    L    R    R    R    R    R    R    R    R
editorial:live_check                      GET  out L    L    R    R    R    R    R    R    R    R
editorial:live_check                      POST in  L    L    R    R    R    R    R    R    R    R
editorial:live_check                      POST out L    L    R    R    R    R    R    R    R    R
editorial:media                           GET  in  L    L    D    D    D    R    R    R    R    D
editorial:media                           GET  out L    L    D    R    R    D    D    D    D    D
editorial:media                           POST in  L    L    D    D    D    R    R    R    R    D
editorial:media                           POST out L    L    D    R    R    D    D    D    D    D
editorial:notification_preferences        GET  -   L    L    R    R    R    R    R    R    R    R
editorial:notification_preferences        POST -   L    L    W    W    W    W    W    W    W    W
editorial:notifications                   GET  -   L    L    R    R    R    R    R    R    R    R
editorial:notifications                   POST -   L    L    R    R    R    R    R    R    R    R
editorial:notifications_read              GET  -   L    L    -    -    -    -    -    -    -    -
editorial:notifications_read              POST -   L    L    R    W    W    W    W    W    W    R
editorial:post                            GET  in  L    L    D    D    D    R    R    R    R    D
editorial:post                            GET  out L    L    D    R    R    D    D    D    D    D
editorial:post                            POST in  L    L    D    D    D    R    R    R    R    D
editorial:post                            POST out L    L    D    R    R    D    D    D    D    D
editorial:posthoc_review                  GET  in  L    L    D    D    D    R    R    R    R    D
editorial:posthoc_review                  GET  out L    L    D    R    R    D    D    D    D    D
editorial:posthoc_review                  POST in  L    L    D    D    D    D    W    D    D    D
editorial:posthoc_review                  POST out L    L    D    D    W    D    D    D    D    D
editorial:publish_urgently                GET  in  L    L    D    D    D    D    D    D    R    D
editorial:publish_urgently                GET  out L    L    D    D    D    D    D    D    D    D
editorial:publish_urgently                POST in  L    L    D    D    D    D    D    D    W    D
editorial:publish_urgently                POST out L    L    D    D    D    D    D    D    D    D
editorial:queue                           GET  -   L    L    R    R    R    R    R    R    R    R
editorial:queue                           POST -   L    L    R    R    R    R    R    R    R    R
editorial:request_changes                 GET  in  L    L    -    -    -    -    -    -    -    -
editorial:request_changes                 GET  out L    L    -    -    -    -    -    -    -    -
editorial:request_changes                 POST in  L    L    D    D    D    D    W    D    W    D
editorial:request_changes                 POST out L    L    D    D    W    D    D    D    D    D
editorial:retract                         GET  in  L    L    -    -    -    -    -    -    -    -
editorial:retract                         GET  out L    L    -    -    -    -    -    -    -    -
editorial:retract                         POST in  L    L    D    D    D    D    D    W    W    D
editorial:retract                         POST out L    L    D    D    D    D    D    D    D    D
editorial:retry                           GET  in  L    L    -    -    -    -    -    -    -    -
editorial:retry                           GET  out L    L    -    -    -    -    -    -    -    -
editorial:retry                           POST in  L    L    D    D    D    D    D    W    W    D
editorial:retry                           POST out L    L    D    D    D    D    D    D    D    D
editorial:schedule                        GET  in  L    L    -    -    -    -    -    -    -    -
editorial:schedule                        GET  out L    L    -    -    -    -    -    -    -    -
editorial:schedule                        POST in  L    L    D    D    D    D    D    W    W    D
editorial:schedule                        POST out L    L    D    D    D    D    D    D    D    D
editorial:settings                        GET  -   L    L    D    D    D    D    D    D    R    D
editorial:settings                        POST -   L    L    D    D    D    D    D    D    R    D
editorial:settings_election_delete        GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_election_delete        GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_election_delete        POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_election_delete        POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_election_edit          GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_election_edit          GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_election_edit          POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_election_edit          POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_elections              GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_elections              GET  out L    L    D    D    D    D    D    D    R    D
editorial:settings_elections              POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_elections              POST out L    L    D    D    D    D    D    D    X    D
editorial:settings_grant_delete           GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_grant_delete           GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_grant_delete           POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_grant_delete           POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_members                GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_members                GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_members                POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_members                POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_membership_delete      GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_membership_delete      GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_membership_delete      POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_membership_delete      POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_referent_add           GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_referent_add           GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_referent_add           POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_referent_add           POST out L    L    D    D    D    D    D    D    X    D
editorial:settings_referent_remove        GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_referent_remove        GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_referent_remove        POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_referent_remove        POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_rights                 GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_rights                 GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_rights                 POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_rights                 POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_chain                  GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_chain                  GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_chain                  POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_chain                  POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_chain_create           GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_chain_create           GET  out L    L    D    D    D    D    D    D    R    D
editorial:settings_chain_create           POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_chain_create           POST out L    L    D    D    D    D    D    D    X    D
editorial:settings_chain_delete           GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_chain_delete           GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_chain_delete           POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_chain_delete           POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_chains                 GET  -   L    L    D    D    D    D    D    D    R    D
editorial:settings_chains                 POST -   L    L    -    -    -    -    -    -    -    -
editorial:settings_charter                GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_charter                GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_charter                POST in  L    L    -    -    -    -    -    -    -    -
editorial:settings_charter                POST out L    L    -    -    -    -    -    -    -    -
editorial:settings_charter_create         GET  in  L    L    -    -    -    -    -    -    -    -
editorial:settings_charter_create         GET  out L    L    -    -    -    -    -    -    -    -
editorial:settings_charter_create         POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_charter_create         POST out L    L    D    D    D    D    D    D    X    D
editorial:settings_charter_diff           GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_charter_diff           GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_charter_diff           POST in  L    L    -    -    -    -    -    -    -    -
editorial:settings_charter_diff           POST out L    L    -    -    -    -    -    -    -    -
editorial:settings_charter_edit           GET  in  L    L    D    D    D    D    D    D    R    D
editorial:settings_charter_edit           GET  out L    L    D    D    D    D    D    D    D    D
editorial:settings_charter_edit           POST in  L    L    D    D    D    D    D    D    W    D
editorial:settings_charter_edit           POST out L    L    D    D    D    D    D    D    D    D
editorial:settings_charters               GET  -   L    L    D    D    D    D    D    D    R    D
editorial:settings_charters               POST -   L    L    -    -    -    -    -    -    -    -
editorial:search                          GET  -   L    L    R    R    R    R    R    R    R    R
editorial:search                          POST -   L    L    -    -    -    -    -    -    -    -
editorial:submit                          GET  in  L    L    -    -    -    -    -    -    -    -
editorial:submit                          GET  out L    L    -    -    -    -    -    -    -    -
editorial:submit                          POST in  L    L    D    D    D    W    D    D    D    D
editorial:submit                          POST out L    L    D    W    D    D    D    D    D    D
editorial:waiver_grant                    GET  in  L    L    -    -    -    -    -    -    -    -
editorial:waiver_grant                    GET  out L    L    -    -    -    -    -    -    -    -
editorial:waiver_grant                    POST in  L    L    D    D    D    D    D    D    W    D
editorial:waiver_grant                    POST out L    L    D    D    D    D    D    D    D    D
editorial:waivers_report                  GET  -   L    L    D    D    D    D    D    D    R    R
editorial:waivers_report                  POST -   L    L    D    D    D    D    D    D    R    R
editorial:withdraw                        GET  in  L    L    -    -    -    -    -    -    -    -
editorial:withdraw                        GET  out L    L    -    -    -    -    -    -    -    -
editorial:withdraw                        POST in  L    L    D    D    D    W    D    W    W    D
editorial:withdraw                        POST out L    L    D    W    D    D    D    D    D    D
legal_notice                              GET  -   R    R    R    R    R    R    R    R    R    R
legal_notice                              POST -   -    -    -    -    -    -    -    -    -    -
login                                     GET  -   R    R    R    R    R    R    R    R    R    R
login                                     POST -   X    X    X    X    X    X    X    X    X    X
logout                                    GET  -   -    -    -    -    -    -    -    -    -    -
logout                                    POST -   L    L    L    L    L    L    L    L    L    L
publishing:account_byline_preview         GET  in  L    L    D    D    D    D    D    D    R    D
publishing:account_byline_preview         GET  out L    L    D    D    D    D    D    D    D    D
publishing:account_byline_preview         POST in  L    L    -    -    -    -    -    -    -    -
publishing:account_byline_preview         POST out L    L    -    -    -    -    -    -    -    -
publishing:account_identity               GET  in  L    L    D    D    D    D    D    D    R    D
publishing:account_identity               GET  out L    L    D    D    D    D    D    D    D    D
publishing:account_identity               POST in  L    L    D    D    D    D    D    D    W    D
publishing:account_identity               POST out L    L    D    D    D    D    D    D    D    D
publishing:accounts                       GET  -   L    L    D    D    D    D    D    D    R    D
publishing:accounts                       POST -   L    L    D    D    D    D    D    D    R    D
publishing:cancel_late                    GET  in  L    L    -    -    -    -    -    -    -    -
publishing:cancel_late                    GET  out L    L    -    -    -    -    -    -    -    -
publishing:cancel_late                    POST in  L    L    D    D    D    X    X    W    W    D
publishing:cancel_late                    POST out L    L    D    X    X    D    D    D    D    D
publishing:confirm_late                   GET  in  L    L    -    -    -    -    -    -    -    -
publishing:confirm_late                   GET  out L    L    -    -    -    -    -    -    -    -
publishing:confirm_late                   POST in  L    L    D    D    D    X    X    W    W    D
publishing:confirm_late                   POST out L    L    D    X    X    D    D    D    D    D
publishing:connect_bluesky                GET  in  L    L    -    -    -    -    -    -    -    -
publishing:connect_bluesky                GET  out L    L    -    -    -    -    -    -    -    -
publishing:connect_bluesky                POST in  L    L    D    D    D    D    D    D    X    D
publishing:connect_bluesky                POST out L    L    D    D    D    D    D    D    X    D
publishing:connect_mastodon               GET  in  L    L    -    -    -    -    -    -    -    -
publishing:connect_mastodon               GET  out L    L    -    -    -    -    -    -    -    -
publishing:connect_mastodon               POST in  L    L    D    D    D    D    D    D    X    D
publishing:connect_mastodon               POST out L    L    D    D    D    D    D    D    X    D
publishing:connect_mastodon_callback      GET  in  L    L    D    D    D    D    D    D    X    D
publishing:connect_mastodon_callback      GET  out L    L    D    D    D    D    D    D    D    D
publishing:connect_mastodon_callback      POST in  L    L    -    -    -    -    -    -    -    -
publishing:connect_mastodon_callback      POST out L    L    -    -    -    -    -    -    -    -
publishing:health                         GET  -   L    L    L    L    L    L    L    L    L    R
publishing:health                         POST -   L    L    L    L    L    L    L    L    L    R
publishing:healthz                        GET  -   R    R    R    R    R    R    R    R    R    R
publishing:healthz                        POST -   -    -    -    -    -    -    -    -    -    -
publishing:metrics                        GET  -   D    D    D    D    D    D    D    D    D    D
publishing:metrics                        POST -   -    -    -    -    -    -    -    -    -    -
publishing:public_account                 GET  in  R    R    R    R    R    R    R    R    R    R
publishing:public_account                 GET  out R    R    R    R    R    R    R    R    R    R
publishing:public_account                 POST in  -    -    -    -    -    -    -    -    -    -
publishing:public_account                 POST out -    -    -    -    -    -    -    -    -    -
publishing:public_accounts                GET  -   R    R    R    R    R    R    R    R    R    R
publishing:public_accounts                POST -   -    -    -    -    -    -    -    -    -    -
publishing:public_post                    GET  in  R    R    R    R    R    R    R    R    R    R
publishing:public_post                    GET  out R    R    R    R    R    R    R    R    R    R
publishing:public_post                    POST in  -    -    -    -    -    -    -    -    -    -
publishing:public_post                    POST out -    -    -    -    -    -    -    -    -    -
publishing:public_profile                 GET  -   L    L    R    R    R    R    R    R    R    R
publishing:public_profile                 POST -   L    L    W    W    W    W    W    W    W    W
publishing:records                        GET  in  L    L    R    R    R    R    R    R    R    R
publishing:records                        GET  out L    L    R    R    R    R    R    R    R    R
publishing:records                        POST in  L    L    X    X    X    X    X    X    W    X
publishing:records                        POST out L    L    X    X    X    X    X    X    X    X
publishing:test_connection                GET  in  L    L    -    -    -    -    -    -    -    -
publishing:test_connection                GET  out L    L    -    -    -    -    -    -    -    -
publishing:test_connection                POST in  L    L    D    D    D    D    D    D    X    D
publishing:test_connection                POST out L    L    D    D    D    D    D    D    D    D
set_language                              GET  -   R    R    R    R    R    R    R    R    R    R
set_language                              POST -   R    R    R    R    R    R    R    R    R    R
"""
# fmt: on

# The Django admin pages covered (see the module's docstring).
ADMIN_CHANGELISTS = {
    "accounts": "admin:accounts_membership_changelist",  # memberships: the source of rights
    "auth": "admin:auth_group_changelist",
    "charter": "admin:charter_charter_changelist",
    "editorial": "admin:editorial_post_changelist",
    "publishing": "admin:publishing_publication_changelist",
    "axes": "admin:axes_accessattempt_changelist",
    "otp_static": "admin:otp_static_staticdevice_changelist",
    "otp_totp": "admin:otp_totp_totpdevice_changelist",
}
ADMIN_PAGES = ("admin:index", *ADMIN_CHANGELISTS.values())

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning, outside any election
EMAIL_TEXT = "Écrivez-nous à contact@mairie-exemple.fr pour toute question sur le dossier."
WHY = "Alerte météo rouge: la préfecture demande la diffusion immédiate du message."
REASON = "L'événement est reporté à une date ultérieure."


# --- the table ---------------------------------------------------------------------------

Key = tuple[str, str]  # (method, scope)


def _parse(table: str) -> dict[str, dict[Key, dict[str, str]]]:
    lines = [
        line.split() for line in table.strip().splitlines() if not line.lstrip().startswith("#")
    ]
    header, rows = lines[0], lines[1:]
    assert tuple(COLUMNS[c] for c in header[3:]) == USERS, header
    parsed: dict[str, dict[Key, dict[str, str]]] = {}
    for row in rows:
        assert len(row) == len(header), row
        url, method, scope, *cells = row
        assert method in {"GET", "POST"} and scope in {"in", "out", "-"}, row
        assert set(cells) <= CODES, row
        key = (method, scope)
        assert key not in parsed.get(url, {}), f"{url} {key} twice"
        parsed.setdefault(url, {})[key] = dict(zip(USERS, cells, strict=True))
    return parsed


MATRIX = _parse(TABLE)


def _walk(
    resolver: URLResolver, ns: str = "", prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    """Each route by its name; an unnamed one by its path (it cannot be reversed)."""
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # covered through ADMIN_PAGES
            child = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _walk(entry, child, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            if entry.callback is static_serve:
                continue  # static files and media, when the development server serves them
            if entry.name:
                yield f"{ns}{entry.name}", entry
            else:
                assert not entry.pattern.converters, f"name the route {entry.pattern}"
                yield "/" + prefix + str(entry.pattern), entry


@functools.cache
def _routes() -> dict[str, URLPattern]:
    return dict(_walk(get_resolver()))


def _url_names() -> list[str]:
    return sorted(set(_routes()) | set(ADMIN_PAGES))


def _takes_object(name: str) -> bool:
    if name in ADMIN_PAGES:
        return False
    return bool(_routes()[name].pattern.converters)


def _url(name: str, kwargs: dict[str, int]) -> str:
    return name if name.startswith("/") else reverse(name, kwargs=kwargs or None)


def test_permission_matrix_covers_one_admin_changelist_per_app() -> None:
    registered = {model._meta.app_label for model in admin.site._registry}
    assert set(ADMIN_CHANGELISTS) == registered
    assert all(page.startswith(f"admin:{app}_") for app, page in ADMIN_CHANGELISTS.items())


def _keys(name: str) -> list[Key]:
    scopes = ("in", "out") if _takes_object(name) or name in NAMED_IN_FORM else ("-",)
    return [(m, s) for m in ("GET", "POST") for s in scopes]


def test_permission_matrix_has_a_row_for_every_url_method_and_scope() -> None:
    expected = {name: set(_keys(name)) for name in _url_names()}
    missing = {n: sorted(keys - set(MATRIX.get(n, {}))) for n, keys in expected.items()}
    assert {n: k for n, k in missing.items() if k} == {}, "URLs without an entry in TABLE"
    unknown = set(MATRIX) - set(expected)
    assert unknown == set(), "TABLE names URLs that no longer exist"
    extra = {n: sorted(set(MATRIX[n]) - expected[n]) for n in expected if n in MATRIX}
    assert {n: k for n, k in extra.items() if k} == {}


# --- the world -----------------------------------------------------------------------------


@dataclass
class Side:
    """One unit's share of the world: its people, accounts and objects in every state."""

    unit: OrgUnit
    mastodon: SocialAccount
    bluesky: SocialAccount
    author: User
    reviewer: User
    publisher: User
    admin: User
    draft: Post = field(init=False)
    with_image: Post = field(init=False)
    image: RevisionMedia = field(init=False)
    with_email: Post = field(init=False)
    waived: Post = field(init=False)  # a finding waived by the unit's administrator
    in_review: Post = field(init=False)
    consulted: Post = field(init=False)
    approved: Post = field(init=False)
    scheduled: Post = field(init=False)
    published: Post = field(init=False)
    failed: Post = field(init=False)
    held: Post = field(init=False)
    urgent: Post = field(init=False)
    posthoc: PostHocReview = field(init=False)
    asked: Consultation = field(init=False)  # asked by this side's author
    freeze: Freeze = field(init=False)
    delegation: Delegation = field(init=False)
    grant: AccountGrant = field(init=False)  # a right the author's role already gives
    election: ElectionWindow = field(init=False)  # years away: concerns no post of the world
    referent: ElectoralReferent = field(init=False)  # the administrator, who approves anyway
    # On a unit below this side's (so they change nothing for the posts above): the rules
    # screens' objects.
    chain: ApprovalPolicy = field(init=False)
    charter: Charter = field(init=False)


@dataclass
class World:
    home: Side
    other: Side
    legal: OrgUnit
    users: dict[str, User]
    to_home: Consultation  # asked by the other side, answered by the home unit
    to_other: Consultation  # asked by the home side, answered by the other unit
    media_root: Path


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _submitted(side: Side, text: str) -> Post:
    post = services.post_create(by=side.author, accounts=[side.mastodon], text=text)
    services.post_submit(post=post, by=side.author)
    post.refresh_from_db()
    return post


def _approved(side: Side, text: str) -> Post:
    post = _submitted(side, text)
    services.post_approve(post=post, by=side.reviewer)
    post.refresh_from_db()
    return post


def _scheduled(side: Side, text: str, at: datetime | None = None) -> Post:
    post = _approved(side, text)
    services.post_schedule(post=post, by=side.publisher, at=at)
    post.refresh_from_db()
    return post


def _ended(side: Side, text: str, *, published: bool) -> Post:
    post = _scheduled(side, text)
    services.post_start_publishing(post=post)
    post.refresh_from_db()
    details: dict[str, Any] = (
        {"publications": [{"account": str(side.mastodon), "url": "https://m.test/1"}]}
        if published
        else {"error": "HTTP 503"}
    )
    services.post_record_outcome(post_id=post.pk, published=published, details=details)
    post.refresh_from_db()
    return post


def _fill(side: Side, legal: OrgUnit) -> None:
    code = side.unit.code
    side.draft = services.post_create(
        by=side.author, accounts=[side.mastodon], text=f"Brouillon du service {code}."
    )
    side.with_image = services.post_create(
        by=side.author,
        accounts=[side.mastodon],
        text=f"La nouvelle affiche du service {code}.",
        media=[services.MediaInput("affiche.png", _png(), "Une affiche rouge.", "image/png")],
    )
    image = side.with_image.current_revision.media.first()  # type: ignore[union-attr]
    assert image is not None
    side.image = image
    side.with_email = services.post_create(
        by=side.author, accounts=[side.mastodon], text=f"{EMAIL_TEXT} ({code})"
    )
    side.waived = services.post_create(
        by=side.author, accounts=[side.mastodon], text=f"{EMAIL_TEXT} (service {code})"
    )
    waivers.waiver_grant(
        post=side.waived,
        rule="pii.email",
        category="own_contact",
        justification=f"Adresse officielle du service {code}, publiée sur notre site.",
        by=side.admin,
    )
    side.in_review = _submitted(side, f"Réunion publique du service {code} jeudi.")
    side.consulted = _submitted(side, f"Le délai de recours du service {code} est de deux mois.")
    side.approved = _approved(side, f"Permanence du service {code} samedi.")
    side.scheduled = _scheduled(
        side, f"Fermeture du service {code} lundi.", NOW + timedelta(days=2)
    )
    side.published = _ended(side, f"Le service {code} a ouvert.", published=True)
    side.failed = _ended(side, f"Le service {code} déménage.", published=False)
    # Held by the late-post policy: due an hour ago, the tick finds it too late to send.
    side.held = _scheduled(side, f"Le service {code} recrute.", NOW + timedelta(minutes=5))
    scheduler.tick(now=NOW + timedelta(minutes=65))
    side.held.refresh_from_db()
    assert side.held.held_late, side.held.state
    side.urgent = _submitted(side, f"Routes du service {code} fermées ce soir.")
    side.posthoc = urgent.post_publish_urgently(post=side.urgent, by=side.admin, justification=WHY)
    (side.asked,) = consultations.consultation_request(
        post=side.consulted,
        units=[legal],
        question="Le délai de recours est-il exact ?",
        blocking=True,
        deadline=NOW + timedelta(days=2),
        by=side.author,
    )
    side.freeze = services.freeze_create(
        account=side.bluesky, reason="Compte en maintenance.", by=side.publisher
    )
    # Not begun yet: an active one would let the publisher approve as the reviewer's deputy.
    side.delegation = make_delegation(
        side.reviewer,
        side.publisher,
        NOW.date() + timedelta(days=7),
        NOW.date() + timedelta(days=14),
    )
    side.grant = account_grant_create(
        user=side.author, account=side.bluesky, right="draft_for_account", by=None
    )
    side.election = ElectionWindow.objects.create(
        name=f"Municipales {code}", kind="municipal", unit=side.unit, first_round=date(2031, 3, 16)
    )
    side.referent = ElectoralReferent.objects.create(user=side.admin, unit=side.unit)


def _rules(side: Side) -> None:
    """A chain and a charter (one version) on a unit below the side's, by its administrator."""
    code = side.unit.code
    pole = make_unit(name=f"Pôle {code}", code=f"{code}-pole", parent=side.unit)
    side.chain = approval_chains.approval_policy_save(
        policy=ApprovalPolicy(name=f"Chaîne du pôle {code}", unit=pole),
        steps=[ApprovalStep(order=1, name="Relecture", kind=ApprovalStep.Kind.ACCOUNT_REVIEWERS)],
        by=side.admin,
    )
    side.charter = charter_services.charter_create(
        name=f"Charte du pôle {code}", unit=pole, by=side.admin
    )
    charter_services.charter_version_create(
        charter=side.charter, params={"terms.forbidden": {"terms": ["ASAP"]}}, by=side.admin
    )


def _side(ministry: OrgUnit, code: str, names: dict[str, str], users: dict[str, User]) -> Side:
    unit = make_unit(name=f"Service {code}", code=code, parent=ministry)
    people: dict[str, User] = {}
    for role, name in names.items():
        person = users.get(name) or make_user(username=name)
        users[name] = person
        membership_create(user=person, unit=unit, role=role)
        people[role] = person
    return Side(
        unit=unit,
        mastodon=make_account(unit, "mastodon", server_url="http://127.0.0.1:9"),
        bluesky=make_account(unit, "bluesky", server_url="http://127.0.0.1:9"),
        author=people[Membership.Role.AUTHOR],
        reviewer=people[Membership.Role.REVIEWER],
        publisher=people[Membership.Role.PUBLISHER],
        admin=people[Membership.Role.ADMIN],
    )


def _build(media_root: Path) -> World:
    users: dict[str, User] = {}
    m1 = make_unit(name="Ministère de l'Exemple", code="mex", kind=OrgUnit.Kind.MINISTRY)
    m2 = make_unit(name="Autre ministère", code="mau", kind=OrgUnit.Kind.MINISTRY)
    m3 = make_unit(name="Troisième ministère", code="mtr", kind=OrgUnit.Kind.MINISTRY)
    role = Membership.Role
    home = _side(
        m1,
        "sicom",
        {
            role.AUTHOR: "author",
            role.REVIEWER: "reviewer",
            role.PUBLISHER: "publisher",
            role.ADMIN: "admin",
        },
        users,
    )
    other = _side(
        m2,
        "autre",
        {
            role.AUTHOR: "o_author",
            role.REVIEWER: "o_reviewer",
            role.PUBLISHER: "o_publisher",
            role.ADMIN: "o_admin",
        },
        users,
    )
    legal = make_unit(name="Affaires juridiques", code="daj", parent=m1)
    membership_create(user=make_user(username="jurist"), unit=legal, role=role.AUTHOR)
    # A member of a unit that owns no account, in a third ministry.
    bureau = make_unit(name="Bureau", code="bur", parent=m3, kind=OrgUnit.Kind.BUREAU)
    users["outsider"] = make_user(username="outsider")
    membership_create(user=users["outsider"], unit=bureau, role=role.AUTHOR)
    # Held every role of the home unit, then left: deactivated.
    users["inactive"] = make_user(username="inactive")
    for each in role:
        membership_create(user=users["inactive"], unit=home.unit, role=each)
    # Staff with no unit, allowed to view memberships in the admin and nothing else.
    users["staff"] = make_user(username="staff", is_staff=True)
    users["staff"].user_permissions.add(Permission.objects.get(codename="view_membership"))
    for side in (home, other):
        _fill(side, legal)
    to_home = consultations.consultation_request(
        post=other.consulted,
        units=[home.unit],
        question="Votre service confirme-t-il la date ?",
        blocking=True,
        deadline=NOW + timedelta(days=2),
        by=other.author,
    )[0]
    to_other = consultations.consultation_request(
        post=home.consulted,
        units=[other.unit],
        question="Votre service confirme-t-il la date ?",
        blocking=True,
        deadline=NOW + timedelta(days=2),
        by=home.author,
    )[0]
    for side in (home, other):
        _rules(side)
    users["inactive"].is_active = False
    users["inactive"].save(update_fields=["is_active"])
    # Held every role of the home unit; the memberships were then deleted as the admin does
    # (one ``delete()`` each). See test_permission_matrix_former_member_is_an_outsider.
    users["former"] = make_user(username="former")
    for each in role:
        membership_create(user=users["former"], unit=home.unit, role=each)
    for membership in Membership.objects.filter(user=users["former"]):
        membership.delete()
    return World(home, other, legal, users, to_home, to_other, media_root)


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """Built once, in a transaction rolled back at the end of the module; each test runs in
    a savepoint inside it (pytest-django's ``db``), each request in one more."""
    media_root = tmp_path_factory.mktemp("matrix-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        override_settings(PASSWORD_HASHERS=fast, MEDIA_ROOT=media_root),
        transaction.atomic(),
    ):
        yield _build(media_root)
        transaction.set_rollback(True)


# --- what each URL is asked, per scope ------------------------------------------------------


@dataclass(frozen=True)
class Target:
    kwargs: dict[str, int] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    session: dict[str, Any] = field(default_factory=dict)


TargetFor = Callable[[World, Side], Target]


def _pk(obj: models.Model) -> dict[str, int]:
    return {"pk": obj.pk}


def _revision(post: Post) -> int:
    assert post.current_revision is not None
    return post.current_revision.number


LATER = "2026-03-05T10:00"  # local time, three days after NOW
ELECTION = {
    "name": "Législatives 2032",
    "kind": "legislative",
    "first_round": "2032-06-13",
    "second_round": "2032-06-20",
    "time_zone": "Europe/Paris",
}
TEXT = "Les guichets du service ouvrent lundi à 9 h."
CALENDAR_RANGE = {"start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z"}


TARGETS: dict[str, TargetFor] = {
    # No object.
    "editorial:dashboard": lambda w, s: Target(),
    "editorial:queue": lambda w, s: Target(),
    "editorial:notifications": lambda w, s: Target(),
    "editorial:notifications_read": lambda w, s: Target(),
    "editorial:notification_preferences": lambda w, s: Target(
        data={"language": "fr", "email_approved": "on"}
    ),
    "editorial:waivers_report": lambda w, s: Target(query={"month": "2026-03"}),
    "editorial:search": lambda w, s: Target(),
    "login": lambda w, s: Target(data={"username": "author", "password": "wrong password"}),
    "legal_notice": lambda w, s: Target(),
    "accessibility": lambda w, s: Target(),
    "/admin/login/": lambda w, s: Target(),
    "accounts:second_factor": lambda w, s: Target(),
    "accounts:second_factor_setup": lambda w, s: Target(),
    "accounts:second_factor_verify": lambda w, s: Target(),
    "accounts:backup_codes_renew": lambda w, s: Target(),
    "logout": lambda w, s: Target(),
    "set_language": lambda w, s: Target(data={"language": "fr", "next": "/"}),
    "publishing:healthz": lambda w, s: Target(),
    "publishing:metrics": lambda w, s: Target(),
    "publishing:health": lambda w, s: Target(),
    "publishing:accounts": lambda w, s: Target(),
    "editorial:settings": lambda w, s: Target(),
    "publishing:public_accounts": lambda w, s: Target(),
    "publishing:public_profile": lambda w, s: Target(
        data={"job_title": "chargée de communication", "public_name_consent": "on"}
    ),
    **{name: lambda w, s: Target() for name in ADMIN_PAGES},
    # An object named in the form (its unit's or another's).
    "editorial:compose": lambda w, s: Target(
        data={"accounts": [s.mastodon.pk], "text": TEXT, "language": "fr", "tier": "standard"}
    ),
    "editorial:live_check": lambda w, s: Target(
        data={"accounts": [s.mastodon.pk], "text": TEXT, "language": "fr"}
    ),
    "editorial:freezes": lambda w, s: Target(
        data={"account": s.mastodon.pk, "reason": "Incident sur le compte."}
    ),
    "editorial:settings_elections": lambda w, s: Target(data={**ELECTION, "unit": s.unit.pk}),
    "editorial:settings_referent_add": lambda w, s: Target(
        data={"referent-person": "reviewer", "referent-unit": s.unit.pk}
    ),
    "editorial:calendar": lambda w, s: Target(query={"account": str(s.mastodon.pk)}),
    "editorial:calendar_events": lambda w, s: Target(
        query={**CALENDAR_RANGE, "account": str(s.mastodon.pk)}
    ),
    "editorial:delegations": lambda w, s: Target(
        data={
            "deputy": s.author.pk,
            "unit": s.unit.pk,
            "starts_on": "2026-03-03",
            "ends_on": "2026-03-10",
        }
    ),
    "publishing:connect_mastodon": lambda w, s: Target(
        data={"unit": s.unit.pk, "instance_url": "http://127.0.0.1:9"}
    ),
    "publishing:connect_bluesky": lambda w, s: Target(
        data={"unit": s.unit.pk, "handle": "compte.test", "app_password": "abcd-efgh-ijkl-mnop"}
    ),
    # The OAuth state as connect_mastodon leaves it in the session, naming the unit.
    "publishing:connect_mastodon_callback": lambda w, s: Target(
        query={"state": "st4te", "code": "c0de"},
        session={
            "mastodon_oauth": {
                "state": "st4te",
                "instance": "http://127.0.0.1:9",
                "unit": s.unit.pk,
                "at": NOW.timestamp(),
            }
        },
    ),
    # An object in the URL.
    "editorial:post": lambda w, s: Target(_pk(s.in_review)),
    "editorial:edit": lambda w, s: Target(
        _pk(s.draft),
        data={
            "accounts": [s.mastodon.pk],
            "text": TEXT,
            "language": "fr",
            "base_revision": _revision(s.draft),
        },
    ),
    "editorial:media": lambda w, s: Target({"pk": s.with_image.pk, "media_id": s.image.pk}),
    "editorial:submit": lambda w, s: Target(_pk(s.draft)),
    "editorial:approve": lambda w, s: Target(
        _pk(s.in_review), data={"revision": _revision(s.in_review)}
    ),
    "editorial:request_changes": lambda w, s: Target(
        _pk(s.in_review), data={"comment": "Préciser l'horaire de la réunion."}
    ),
    "editorial:schedule": lambda w, s: Target(_pk(s.approved), data={"at": LATER}),
    "editorial:calendar_move": lambda w, s: Target(_pk(s.scheduled), data={"at": LATER}),
    "editorial:retry": lambda w, s: Target(_pk(s.failed)),
    "editorial:withdraw": lambda w, s: Target(_pk(s.scheduled), data={"reason": REASON}),
    "editorial:retract": lambda w, s: Target(_pk(s.published), data={"reason": REASON}),
    "publishing:public_post": lambda w, s: Target(_pk(s.published)),
    "publishing:public_account": lambda w, s: Target(_pk(s.mastodon)),
    "publishing:account_identity": lambda w, s: Target(
        _pk(s.mastodon),
        data={
            "byline_template": "— {unit} ^{initials} · {account_url}",
            "public_contact": "contact@mairie-exemple.fr",
            "public_description": "",
            "moderation_policy": "",
        },
    ),
    "publishing:account_byline_preview": lambda w, s: Target(
        _pk(s.mastodon), query={"byline_template": "— {unit} {url}"}
    ),
    "editorial:publish_urgently": lambda w, s: Target(
        _pk(s.in_review), data={"justification": WHY}
    ),
    "editorial:posthoc_review": lambda w, s: Target(
        {"pk": s.urgent.pk, "review_id": s.posthoc.pk}, data={"outcome": "confirmed"}
    ),
    "editorial:consultation_ask": lambda w, s: Target(
        _pk(s.in_review),
        data={
            "units": [w.legal.pk],
            "blocking": "on",
            "deadline": LATER,
            "question": "Le délai est-il exact ?",
        },
    ),
    # Addressed to the unit: its members answer.
    "editorial:consultation_answer": lambda w, s: Target(
        _pk(w.to_home if s is w.home else w.to_other),
        data={
            "answer": "agree",
            "revision": _revision((w.to_home if s is w.home else w.to_other).post),
        },
    ),
    "editorial:consultation_cancel": lambda w, s: Target(_pk(s.asked)),
    "editorial:comment_add": lambda w, s: Target(
        _pk(s.in_review), data={"body": "Vu, rien à redire."}
    ),
    "editorial:freeze_lift": lambda w, s: Target(_pk(s.freeze)),
    "editorial:delegation_end": lambda w, s: Target(_pk(s.delegation)),
    "editorial:waiver_grant": lambda w, s: Target(
        _pk(s.with_email),
        data={"rule": "pii.email", "category": "own_contact", "justification": WHY},
    ),
    "publishing:confirm_late": lambda w, s: Target(_pk(s.held)),
    "publishing:cancel_late": lambda w, s: Target(_pk(s.held), data={"reason": REASON}),
    "publishing:test_connection": lambda w, s: Target(_pk(s.mastodon)),
    "editorial:settings_members": lambda w, s: Target(
        _pk(s.unit), data={"person": "jurist", "role": "reviewer"}
    ),
    "editorial:settings_membership_delete": lambda w, s: Target(
        _pk(Membership.objects.get(user=s.author, unit=s.unit, role=Membership.Role.AUTHOR))
    ),
    "editorial:settings_rights": lambda w, s: Target(
        _pk(s.mastodon), data={"person": "jurist", "right": "review_for_account"}
    ),
    "editorial:settings_grant_delete": lambda w, s: Target(_pk(s.grant)),
    "editorial:settings_election_edit": lambda w, s: Target(
        _pk(s.election), data={**ELECTION, "unit": s.unit.pk, "name": "Municipales partielles"}
    ),
    "editorial:settings_election_delete": lambda w, s: Target(_pk(s.election)),
    "editorial:settings_referent_remove": lambda w, s: Target(_pk(s.referent)),
    "editorial:settings_chains": lambda w, s: Target(),
    "editorial:settings_charters": lambda w, s: Target(),
    "editorial:settings_chain_create": lambda w, s: Target(
        data={
            "name": "Nouvelle chaîne",
            "unit": s.unit.pk,
            "reschedule_rule": "keep",
            **_steps_management(0, 0),
        }
    ),
    "editorial:settings_chain": lambda w, s: Target(_pk(s.chain), data=_chain_data(s.chain)),
    "editorial:settings_chain_delete": lambda w, s: Target(_pk(s.chain)),
    "editorial:settings_charter": lambda w, s: Target(_pk(s.charter)),
    "editorial:settings_charter_create": lambda w, s: Target(
        data={"name": "Nouvelle charte", "unit": s.unit.pk}
    ),
    "editorial:settings_charter_diff": lambda w, s: Target(_pk(s.charter)),
    "editorial:settings_charter_edit": lambda w, s: Target(
        _pk(s.charter), data=_charter_data(s.charter)
    ),
    # Records for the archives: an account named in the form, and two days.
    "publishing:records": lambda w, s: Target(
        data={"account": s.mastodon.pk, "start": "2026-03-01", "end": "2026-03-02"}
    ),
}


def _steps_management(total: int, initial: int) -> dict[str, int]:
    return {
        "steps-TOTAL_FORMS": total,
        "steps-INITIAL_FORMS": initial,
        "steps-MIN_NUM_FORMS": 0,
        "steps-MAX_NUM_FORMS": 20,
    }


def _chain_data(chain: ApprovalPolicy) -> dict[str, Any]:
    """The chain renamed, its one step kept as it is."""
    step = chain.steps.get()
    fields = {"id": step.pk, "order": 1, "name": step.name, "kind": step.kind, "levels_up": 1}
    return {
        "name": f"{chain.name} (revue)",
        "unit": chain.unit_id,
        "reschedule_rule": chain.reschedule_rule,
        **_steps_management(1, 1),
        **{f"steps-0-{k}": v for k, v in {**fields, "mode": "any"}.items()},
    }


def _charter_data(charter: Charter) -> dict[str, Any]:
    """The edit page as it comes, with one more forbidden term."""
    latest = charter.versions.get()
    form = CharterVersionForm(states=rule_states(latest.params))
    data: dict[str, Any] = {
        name: field.initial
        for name, field in form.fields.items()
        if not field.disabled and field.initial not in (None, False)
    }
    data = {name: "on" if value is True else value for name, value in data.items()}
    return {**data, "terms_forbidden__terms": "ASAP\nimpacter"}


# URLs without an object in their path that name one in their form or session: asked in and
# out of scope too.
NAMED_IN_FORM = {
    "editorial:calendar",
    "editorial:calendar_events",
    "editorial:compose",
    "editorial:live_check",
    "editorial:freezes",
    "editorial:delegations",
    "editorial:settings_elections",
    "editorial:settings_referent_add",
    "editorial:settings_chain_create",
    "editorial:settings_charter_create",
    "publishing:connect_mastodon",
    "publishing:connect_bluesky",
    "publishing:connect_mastodon_callback",
    "publishing:records",
}


# --- one request ----------------------------------------------------------------------------

FINGERPRINT_APPS = ("accounts", "editorial", "charter", "publishing", "guardian", "auth")


@functools.cache
def _tables() -> list[str]:
    names = []
    for label in FINGERPRINT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            names.append(model._meta.db_table)
    return sorted(set(names))


def _fingerprint() -> str:
    """Every row of every table of our apps, hashed: any write shows."""
    tables = _tables()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = " UNION ALL ".join(
                f"SELECT '{t}', md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) "
                f'FROM "{t}" r'
                for t in tables
            )
            cursor.execute(sql)
            rows = cursor.fetchall()
        else:
            rows = []
            for t in tables:
                cursor.execute(f'SELECT * FROM "{t}"')
                rows.append((t, sorted(map(repr, cursor.fetchall()))))
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _refused(response: Any) -> bool:
    """Whether the answer says no in words: a 400, a bound form with errors, or an error
    message added by this request (the storage's queue: the cookie may also carry older
    ones, and reading them through ``get_messages`` would consume them)."""
    if response.status_code == 400:
        return True
    context = getattr(response, "context", None)
    contexts = context if isinstance(context, list) else [context] if context else []
    for ctx in contexts:
        for value in ctx.flatten().values():
            if isinstance(value, BaseForm) and value.is_bound and value.errors:
                return True
    storage = getattr(response.wsgi_request, "_messages", None)
    queued = getattr(storage, "_queued_messages", [])
    return any(m.level >= message_levels.ERROR for m in queued)


def _outcome(response: Any, changed: bool) -> str:
    status = response.status_code
    location = response.get("Location", "") if 300 <= status < 400 else ""
    if status == 405:
        code = "-"
    elif location.startswith(("/login/", "/admin/login/")):
        code = "L"
    elif status in {403, 404}:
        code = "D"
    elif 200 <= status < 400 or status == 400:
        code = "W" if changed and status != 400 else ("X" if _refused(response) else "R")
    else:
        code = str(status)
    if changed and code != "W":
        code += "!"  # never expected: a refusal that wrote
    return code


def _request(client: Client, method: str, url: str, target: Target, *, baseline: str) -> str:
    """One request in a savepoint rolled back after it; ``baseline``: the world's fingerprint
    (each request starts from it, since the one before was rolled back)."""
    client.cookies.pop("messages", None)  # each request's messages alone
    cookies = copy.deepcopy(client.cookies)  # logout would end the session for what follows
    with transaction.atomic():
        if target.session and django_settings.SESSION_COOKIE_NAME in client.cookies:
            session = client.session
            session.update(target.session)
            session.save()
        if method == "GET":
            response = client.get(url, target.query)
        else:
            response = client.post(url, target.data)
        changed = _fingerprint() != baseline
        transaction.set_rollback(True)
    client.cookies = cookies
    return _outcome(response, changed)


def _table_row(name: str, method: str, scope: str, cells: list[str]) -> str:
    return (
        name.ljust(42) + method.ljust(5) + scope.ljust(4) + "".join(c.ljust(5) for c in cells)
    ).rstrip()


# --- the test --------------------------------------------------------------------------------


@pytest.fixture
def clients(world: World, settings: Any) -> dict[str, Client]:
    """Each user signed in for this test. Here rather than with the world: after the suite's
    autouse fixtures, ``force_login`` is what they make it (a second factor given where one
    is required), and the sessions go with the test's savepoint."""
    settings.MEDIA_ROOT = world.media_root
    signed_in = {}
    for name in (*USERS, "former"):
        client = Client(headers={"accept-language": "en"})
        if name != "anon":
            client.force_login(world.users[name])
        signed_in[name] = client
    return signed_in


@pytest.mark.django_db
@pytest.mark.parametrize("name", _url_names())
def test_permission_matrix(name: str, world: World, clients: dict[str, Client]) -> None:
    # A URL new to the table: without an object, asked plainly so that the failure shows
    # what it answers (to review, then paste); with one, it needs its objects first.
    assert name in TARGETS or not _takes_object(name), f"{name}: add its objects to TARGETS"
    target_for = TARGETS.get(name, lambda w, s: Target())
    mismatches = [] if name in TARGETS else [f"{name}: add a payload to TARGETS"]
    actual_rows = []
    baseline = _fingerprint()
    with time_machine.travel(NOW, tick=False):
        for method, scope in _keys(name):
            expected = MATRIX.get(name, {}).get((method, scope), dict.fromkeys(USERS, "?"))
            side = world.other if scope == "out" else world.home
            target = target_for(world, side)
            url = _url(name, target.kwargs)
            row = []
            for user in USERS:
                got = _request(clients[user], method, url, target, baseline=baseline)
                row.append(got)
                if got != expected[user]:
                    mismatches.append(
                        f"{method} {scope} {user}: expected {expected[user]}, got {got}"
                    )
            actual_rows.append(_table_row(name, method, scope, row))
    # What the URL does now, in the table's layout, under the cells that differ.
    assert mismatches == [], "\n".join(["", *actual_rows, *mismatches])


# Pages that list objects: what they list must stay in the reader's scope, which a status
# code does not show.
LISTS = {
    "editorial:dashboard": {},
    "editorial:queue": {},
    "editorial:notifications": {},
    "editorial:freezes": {},
    "editorial:delegations": {},
    "publishing:accounts": {},
    "editorial:settings": {},
    "editorial:settings_chains": {},
    "editorial:settings_charters": {},
    "publishing:records": {},
    "editorial:waivers_report": {"month": "2026-03"},  # the CSV
    "editorial:calendar": {},
    "editorial:calendar_events": CALENDAR_RANGE,
}


def _markers(side: Side) -> list[str]:
    """Words found only on this side's objects (its consulted post aside: the consulted unit
    reads it)."""
    code = side.unit.code
    texts = [
        f"Brouillon du service {code}",
        f"affiche du service {code}",
        f"Réunion publique du service {code}",
        f"Permanence du service {code}",
        f"Fermeture du service {code}",
        f"Le service {code} a ouvert",
        f"Le service {code} déménage",
        f"Le service {code} recrute",
        f"Routes du service {code}",
        f"Adresse officielle du service {code}",
        f"Chaîne du pôle {code}",
        f"Charte du pôle {code}",
    ]
    return [*texts, side.mastodon.handle, side.bluesky.handle]


@pytest.mark.django_db
def test_permission_matrix_lists_show_nothing_out_of_scope(
    world: World, clients: dict[str, Client]
) -> None:
    foreign = {
        **{user: [world.other] for user in ("author", "reviewer", "publisher", "admin")},
        **{user: [world.home] for user in ("o_author", "o_reviewer")},
        **{user: [world.home, world.other] for user in ("outsider", "staff")},
    }
    # The markers are there to be found: each side's own people see their objects.
    seen = {
        (user, marker)
        for user in ("author", "reviewer", "publisher", "admin")
        for name, query in LISTS.items()
        for marker in _markers(world.home)
        if marker in clients[user].get(reverse(name), query).content.decode()
    }
    assert {marker for _user, marker in seen} == set(_markers(world.home))
    leaks = []
    with time_machine.travel(NOW, tick=False):
        for user, sides in foreign.items():
            for name, query in LISTS.items():
                body = clients[user].get(reverse(name), query).content.decode()
                leaks += [
                    f"{name} to {user}: {marker}"
                    for side in sides
                    for marker in _markers(side)
                    if marker in body
                ]
    assert leaks == []


@pytest.mark.django_db
def test_permission_matrix_former_member_is_an_outsider(
    world: World, clients: dict[str, Client]
) -> None:
    """Someone whose memberships of the home unit were deleted may do exactly what the
    outsider may, everywhere: leaving a unit ends every right it gave."""
    baseline = _fingerprint()
    mismatches = []
    with time_machine.travel(NOW, tick=False):
        for name in _url_names():
            for method, scope in _keys(name):
                side = world.other if scope == "out" else world.home
                target = TARGETS[name](world, side)
                url = _url(name, target.kwargs)
                expected = MATRIX[name][(method, scope)]["outsider"]
                got = _request(clients["former"], method, url, target, baseline=baseline)
                if got != expected:
                    mismatches.append(f"{name} {method} {scope}: expected {expected}, got {got}")
    assert mismatches == [], "\n".join(["", *mismatches])
