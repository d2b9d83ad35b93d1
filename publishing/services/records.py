"""Records for the archives: one account's published posts over a period, as a .zip bundle.

``records_export`` writes, in one pass over the posts (batches, ``records_posts``):

- ``posts.json``: each post with its bylines and frozen ``byline_record``, every revision,
  the approvals (who, which step, when), the waivers, the charter version and, per part
  published on the account, its remote link; then the charter versions named;
- ``posts.csv``: one row per publication part (UTF-8 with a byte order mark, ``;``, as
  Excel opens it in French, like the exceptions report);
- ``summary.html``: the same for people, self-contained and printable (no PDF: an HTML page
  prints to PDF from any browser, and adds no dependency);
- ``audit.json``: the audit chain segment covering the posts and its verification
  (``records_audit``);
- ``manifest.json``: the SHA-256 of each file.

Who may export: ``accounts.record_rights.may_export_records`` (the account's unit
administrators and whoever holds the waive right on it); the operator's command passes
``by=None`` (shell access reads everything, as ``waivers_report``). Every export is audited
(``records_exported``: who, which account, which days, how many posts, the manifest's hash).
"""

from __future__ import annotations

import csv
import hashlib
import json
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import record_rights
from accounts.models import SocialAccount, User
from editorial.services import audit_record
from publishing.services import records_posts
from publishing.services.records_audit import Segment, SegmentResult, write_segment
from publishing.services.records_posts import RecordsRange

TEMPLATES = "publishing/records"
FILES = ("posts.json", "posts.csv", "summary.html", "audit.json")
CSV_HEADER = (
    gettext_lazy("post"),
    gettext_lazy("part"),
    gettext_lazy("published at"),
    gettext_lazy("account"),
    gettext_lazy("remote link"),
    gettext_lazy("byline"),
    gettext_lazy("unit"),
    gettext_lazy("author (initials)"),
    gettext_lazy("approved by"),
    gettext_lazy("charter version"),
    gettext_lazy("waivers"),
    gettext_lazy("revisions"),
    gettext_lazy("state"),
    gettext_lazy("text sent"),
)


class RecordsError(Exception):
    """A records export refused, in words for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RecordsExport:
    filename: str
    posts: int
    segment: SegmentResult
    manifest_sha256: str


def records_filename(account: SocialAccount, start: date, end: date) -> str:
    handle = slugify(account.handle.replace(".", "-").replace("@", " ")) or str(account.pk)
    return f"records-{account.network}-{handle}-{start:%Y%m%d}-{end:%Y%m%d}.zip"


def records_check(*, account: SocialAccount, start: date, end: date, by: User | None) -> None:
    """Refuse in words what cannot be exported, before any work."""
    if start > end:
        raise RecordsError(
            _("The first day (%(start)s) is after the last day (%(end)s): swap them.")
            % {"start": start.isoformat(), "end": end.isoformat()}
        )
    if by is not None and not record_rights.may_export_records(by, account):
        raise RecordsError(
            _(
                "You may not export the records of %(account)s: ask an administrator of its "
                "unit, or someone holding the waive right on it."
            )
            % {"account": account}
        )


def records_export(
    *, account: SocialAccount, start: date, end: date, out: IO[bytes], by: User | None
) -> RecordsExport:
    """Write the bundle as a .zip into ``out`` and audit the export; see the module."""
    records_check(account=account, start=start, end=end, by=by)
    span = RecordsRange(account, start, end)
    with tempfile.TemporaryDirectory(prefix="porte-voix-records-") as work:
        folder = Path(work)
        posts, segment = _write_files(folder, span)
        manifest = _manifest(folder, span, posts, segment)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for name in (*FILES, "manifest.json"):
                bundle.write(folder / name, arcname=name)
    digest = hashlib.sha256(manifest).hexdigest()
    with transaction.atomic():
        audit_record(
            verb="records_exported",
            actor=by,
            account_id=account.pk,
            account=str(account),
            start=start.isoformat(),
            end=end.isoformat(),
            posts=posts,
            segment_intact=segment.intact,
            manifest_sha256=digest,
            channel="page" if by is not None else "command",
        )
    return RecordsExport(records_filename(account, start, end), posts, segment, digest)


class _Writer:
    """The three files written post by post: posts.json, posts.csv and summary.html."""

    def __init__(self, folder: Path, span: RecordsRange) -> None:
        self.span, self.count, self.versions = span, 0, set[int]()
        self.context = {"account": span.account, "start": span.start, "end": span.end}
        self.context |= {"now": timezone.now(), "language": translation.get_language() or "fr"}
        self.json = (folder / "posts.json").open("w", encoding="utf-8")
        self.csv_file = (folder / "posts.csv").open("w", encoding="utf-8-sig", newline="")
        self.summary = (folder / "summary.html").open("w", encoding="utf-8")
        self.rows = csv.writer(self.csv_file, delimiter=";")
        self.rows.writerow([str(h) for h in CSV_HEADER])
        self.json.write(_json_head(span))
        self.summary.write(render_to_string(f"{TEMPLATES}/summary_head.html", self.context))

    def post(self, record: dict[str, Any]) -> None:
        self.json.write((",\n" if self.count else "") + json.dumps(record, ensure_ascii=False))
        self.rows.writerows(_csv_rows(record, self.span.account))
        self.summary.write(render_to_string(f"{TEMPLATES}/summary_post.html", {"post": record}))
        if record["charter"]["version_id"] is not None:
            self.versions.add(record["charter"]["version_id"])
        self.count += 1

    def finish(self, segment: SegmentResult) -> None:
        charters = records_posts.charter_versions(self.versions)
        listed = json.dumps(charters, ensure_ascii=False)
        self.json.write(f'\n],\n"charter_versions": {listed}\n}}\n')
        self.context |= {"segment": segment, "charter_versions": charters, "posts": self.count}
        self.summary.write(render_to_string(f"{TEMPLATES}/summary_foot.html", self.context))

    def close(self) -> None:
        for handle in (self.json, self.csv_file, self.summary):
            handle.close()


def _write_files(folder: Path, span: RecordsRange) -> tuple[int, SegmentResult]:
    segment = Segment()
    with closing(_Writer(folder, span)) as writer:
        for ids in records_posts.post_id_batches(span):
            segment.add(ids)
            for post in records_posts.posts_batch(ids, span.account):
                writer.post(records_posts.post_record(post))
        with (folder / "audit.json").open("w", encoding="utf-8") as audit_out:
            result = write_segment(audit_out, segment)
        writer.finish(result)
    return writer.count, result


def _json_head(span: RecordsRange) -> str:
    head = {
        "account": {
            "id": span.account.pk,
            "network": span.account.network,
            "handle": span.account.handle,
            "server_url": span.account.server_url,
            "unit": {"code": span.account.unit.code, "name": span.account.unit.name},
        },
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "time_zone": str(timezone.get_default_timezone()),
    }
    return json.dumps(head, ensure_ascii=False)[:-1] + ', "posts": [\n'


def _csv_rows(record: dict[str, Any], account: SocialAccount) -> list[list[Any]]:
    approvers = ", ".join(
        f"{a['approver']['name']} ({a['at']})" for a in record["approvals"] if a["approver"]
    )
    waivers = ", ".join(w["rule"] for w in record["waivers"])
    revisions = len(record["revisions"])
    version = record["charter"]["version_id"] or ""
    return [
        [
            record["id"],
            part["part"],
            part["published_at"] or "",
            str(account),
            part["remote_url"],
            part["byline"],
            record["unit"]["code"],
            record["author"]["initials"] if record["author"] else "",
            approvers,
            version,
            waivers,
            revisions,
            record["state"],
            part["text"],
        ]
        for part in record["parts"]
    ]


def _manifest(folder: Path, span: RecordsRange, posts: int, segment: SegmentResult) -> bytes:
    files = {}
    for name in FILES:
        sha = hashlib.sha256()
        with (folder / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                sha.update(block)
        files[name] = {"sha256": sha.hexdigest(), "size": (folder / name).stat().st_size}
    manifest = {
        "account": str(span.account),
        "from": span.start.isoformat(),
        "to": span.end.isoformat(),
        "posts": posts,
        "audit_segment_intact": segment.intact,
        "files": files,
    }
    data = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
    (folder / "manifest.json").write_bytes(data)
    return data
