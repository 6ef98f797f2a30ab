"""Runtime hook: let torchvision import beside a CPU-only torch whose build its C++ extension cannot load.

The CPU build pairs torch 2.13.0+cpu with PyPI's torchvision 0.28.0, whose ``_C`` extension links against
CUDA torch libraries and so fails to load. torchvision tolerates that for most ops, but
``_meta_registrations`` registers fake kernels for ``torchvision::nms`` and ``torchvision::qnms``
unconditionally, which raises when the ops were never defined. spandrel only needs torchvision's pure
Python transforms, so when (and only when) the extension is missing we declare those two op schemas just
before ``_meta_registrations`` runs. Calling nms would still fail with a clear "no kernel" error.

Nothing is imported at start-up: the hook waits for torchvision's own import, so the window still shows
before torch loads.
"""

import importlib.abc
import importlib.machinery
import sys

_TARGET = "torchvision._meta_registrations"
_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_libraries = []  # keeps the torch.library.Library alive for the whole process


def _declare_missing_ops():
    import torch
    import torchvision.extension

    if torchvision.extension._has_ops():
        return
    library = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS:
        library.define(schema)
    _libraries.append(library)


class _Loader(importlib.abc.Loader):
    def __init__(self, inner):
        self._inner = inner

    def create_module(self, spec):
        return self._inner.create_module(spec)

    def exec_module(self, module):
        _declare_missing_ops()
        self._inner.exec_module(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname != _TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader)
                return spec
        return None


sys.meta_path.insert(0, _Finder())
