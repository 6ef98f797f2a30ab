"""What the checks share: the model store, a job runner, a scratch folder and the Qt application.

Everything is created on first use, so a check that needs none of it (audio output) costs nothing and a
failure to build one part (say, the store) shows up in the checks that need it, not as a crash.
"""

from __future__ import annotations

import importlib.util
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from genai_studio.selftest.result import Outcome


class SelfTestContext:
    def __init__(self, workdir: Path | None = None, store_factory: Callable[[], Any] | None = None) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="genai-studio-selftest-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self._store_factory = store_factory
        self._store: Any = None
        self._runner: Any = None
        self.qt_app: Any = None  # the QApplication once the Qt check made (or found) one
        self.artifacts: dict[str, Any] = {}  # results one check leaves for a later one (e.g. speech audio)

    @property
    def store(self):
        """The app's ModelStore (or the factory's, in tests)."""
        if self._store is None:
            if self._store_factory is not None:
                self._store = self._store_factory()
            else:
                from genai_studio.runtime.model_store import ModelStore
                from genai_studio.settings import effective_models_dir, load_settings

                self._store = ModelStore(user_dir=effective_models_dir(load_settings()))
        return self._store

    @property
    def runner(self):
        """The same spec → engine dispatcher the app's workers and the CLI use."""
        if self._runner is None:
            from genai_studio.runtime.job_runner import JobRunner

            self._runner = JobRunner(self.store)
        return self._runner

    def run_job(self, spec: Any) -> Any:
        from genai_studio.core.progress import CancelToken

        return self.runner(spec, CancelToken())

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def module_present(name: str) -> bool:
    """Whether ``name`` can be imported (without importing it): parts of the app may be absent in a version."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


CheckFunction = Callable[[SelfTestContext], Outcome]


@dataclass(frozen=True)
class Check:
    """One row of the self-test: ``run(context)`` returns an Outcome; the runner times it and catches errors.

    A check that is not ``required`` can report a problem but never fails the run (its FAIL shows as WARN).
    """

    name: str
    title: str
    run: CheckFunction
    required: bool = True
