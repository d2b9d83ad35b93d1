"""The Bluesky SDK is imported with its lexicon models left lazy (bluesky/atproto_import.py).

Each check runs in a fresh interpreter: the test process has long imported the SDK (the PDS
peer uses it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_LOADED = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
{setup}
import publishing.adapters
from publishing.adapters.bluesky import atproto_import
from atproto_client import Client, models
import atproto_client.namespaces.sync_ns as sync_ns

def model_modules():
    return sorted(n for n in sys.modules if n.startswith("atproto_client.models.") and
                  n.count(".") >= 4)

before = model_modules()
# A model used at run time is the real one, loaded on first use.
params = models.ComAtprotoRepoGetRecord.Params(repo="did:plc:abc", collection="app.bsky.feed.post",
                                               rkey="3l2abc")
record = models.AppBskyFeedPost.Record(text="Bonjour", created_at="2026-11-26T00:00:00Z")
print(json.dumps({{
    "before": before,
    "after": model_modules(),
    "params": params.model_dump(exclude_none=True),
    "record_type": record.py_type,
    "client": type(Client(base_url="http://127.0.0.1:9")).__name__,
    "same_package": atproto_import.load() is sys.modules["atproto_client"],
    "namespace_uses_models": sync_ns.models is models,
}}))
"""


def _run(setup: str = "") -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _LOADED.format(setup=setup)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_adapters_load_only_the_models_they_use() -> None:
    loaded = _run()
    before, after = loaded["before"], loaded["after"]
    assert isinstance(before, list) and isinstance(after, list)
    # The SDK has 358 model modules; importing the adapters must not load them all.
    assert len(before) < 40, before
    # Used at run time: loaded then, and real.
    assert "atproto_client.models.com.atproto.repo.get_record" in after
    assert "atproto_client.models.app.bsky.feed.post" in after
    assert loaded["params"] == {
        "repo": "did:plc:abc",
        "collection": "app.bsky.feed.post",
        "rkey": "3l2abc",
    }
    assert loaded["record_type"] == "app.bsky.feed.post"
    assert loaded["client"] == "Client"
    assert loaded["same_package"] is True
    assert loaded["namespace_uses_models"] is True


def test_a_failed_lazy_load_falls_back_to_the_normal_import() -> None:
    # As if the SDK had changed shape: the lazy path fails half-way (the package is already in
    # sys.modules), the ordinary import still gives the whole, working SDK.
    setup = (
        "import importlib\n"
        "_real = importlib.import_module\n"
        "_failed = []\n"
        "def _failing(name, package=None):\n"
        "    if name == 'atproto_client.models' and not _failed:\n"
        "        _failed.append(name)\n"
        "        raise ImportError('simulated')\n"
        "    return _real(name, package)\n"
        "importlib.import_module = _failing\n"
    )
    loaded = _run(setup)
    after = loaded["after"]
    assert isinstance(after, list)
    assert len(after) > 300  # everything, the SDK's own way
    assert loaded["params"] == {
        "repo": "did:plc:abc",
        "collection": "app.bsky.feed.post",
        "rkey": "3l2abc",
    }
    assert loaded["same_package"] is True
