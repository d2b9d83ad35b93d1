"""Import the Bluesky SDK without loading every lexicon model it knows.

atproto 0.0.73 loads its ~2,000 generated pydantic models lazily, on first use of
``models.<Alias>`` (``atproto_client/models/models_loader.py``). But the package's
``__init__`` imports both clients, whose namespace modules (``namespaces/sync_ns.py`` and
``async_ns.py``, 15,000 lines each) spell their method annotations without quotes and without
``from __future__ import annotations``: defining those methods reads ``models.<Alias>.Params``
for every XRPC method, which imports all 358 model modules. That costs about 12 MiB of
resident memory in every process that imports the adapter (measured: docs/benchmarks.md,
"Worker memory"), for a handful of models the adapter ever uses.

``load`` executes the same package ``__init__`` while the models package answers those
annotation reads with ``typing.Any`` instead of importing the module; as soon as the package is
loaded the real lazy accessor is back, so every model the code uses at run time
(``models.ComAtprotoRepoGetRecord.Params(...)``) is the real one, loaded on first use. Only
the namespace methods' annotations are ``Any``; the SDK never reads them at run time (no
``get_type_hints``, no ``validate_call``). If anything about this fails (another SDK version,
the package already imported), the normal import runs instead: slower to load, same behaviour.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import typing
from types import ModuleType

logger = logging.getLogger(__name__)

PACKAGE = "atproto_client"
_lock = threading.Lock()


class _AnnotationOnly:
    """What ``models.<Alias>`` is while the namespaces are defined: every attribute is Any."""

    def __getattr__(self, name: str) -> object:
        return typing.Any


def load() -> ModuleType:
    """The ``atproto_client`` package, imported with its models left lazy when possible."""
    with _lock:
        if PACKAGE in sys.modules:
            return sys.modules[PACKAGE]
        try:
            return _load_lazily()
        except Exception:
            # Leave no half-made package behind, then import it the ordinary way.
            for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
                del sys.modules[name]
            logger.warning("atproto_client imported without lazy models", exc_info=True)
            return importlib.import_module(PACKAGE)


def _load_lazily() -> ModuleType:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None:
        raise ImportError(PACKAGE)
    package = importlib.util.module_from_spec(spec)
    # As the import system does: the package is in sys.modules while its __init__ runs, so
    # that its submodules (the models package first) can be imported.
    sys.modules[PACKAGE] = package
    models = importlib.import_module(PACKAGE + ".models")
    namespace = vars(models)
    real = namespace["__getattr__"]
    ids = namespace["ids"]

    def annotation_only(name: str) -> object:
        # Not cached in the package (unlike the real accessor): gone once loading is over.
        if getattr(ids, name, None) is not None:
            return _AnnotationOnly()
        return real(name)

    namespace["__getattr__"] = annotation_only
    try:
        spec.loader.exec_module(package)
    finally:
        namespace["__getattr__"] = real
    leftovers = [name for name, value in namespace.items() if isinstance(value, _AnnotationOnly)]
    if leftovers:
        raise ImportError(f"placeholders left in atproto_client.models: {leftovers[:3]}")
    return package
