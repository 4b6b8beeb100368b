"""Load an exported release for training, but only after it verifies.

``load_release`` runs the same offline check as ``sebrus verify`` (against the chain too, given a URL)
and refuses data that fails it unless ``allow_unverified=True``. Images are decoded with Pillow only:
nothing in an export is unpickled. PyTorch is optional (the ``detect`` extra) and imported only when a
``torch_dataset`` is asked for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from sebrus.releases.document import RELEASE_FILE
from sebrus.releases.verify import ChainLookup, VerifyReport, verify_export


class UnverifiedRelease(Exception):
    """The export failed verification; ``report`` names every file at fault."""

    def __init__(self, report: VerifyReport) -> None:
        findings = "; ".join(str(f) for f in report.findings[:5]) or "the Merkle root could not be rebuilt"
        more = f" (and {len(report.findings) - 5} more)" if len(report.findings) > 5 else ""
        super().__init__(
            f"{report.directory} failed verification: {findings}{more}. "
            "Pass allow_unverified=True to load it anyway."
        )
        self.report = report


@dataclass(frozen=True)
class LoadedRelease:
    directory: Path
    report: VerifyReport
    classes: list[str]  # index -> label, in the dataset's label order
    paths: list[Path]
    targets: list[int]

    @property
    def verified(self) -> bool:
        return self.report.ok

    def __len__(self) -> int:
        return len(self.paths)

    def to_numpy(
        self, size: tuple[int, int] | None = None, mode: str = "RGB"
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(images, labels)``: uint8 ``[N, H, W, C]`` (``[N, H, W]`` for mode ``L``) and int64 ``[N]``.

        All images must share one size unless ``size=(width, height)`` resizes them.
        """
        arrays = [_decode(path, size, mode) for path in self.paths]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"the images have {len(shapes)} different shapes; pass size=(width, height)")
        images = np.stack(arrays) if arrays else np.zeros((0,), dtype=np.uint8)
        return images, np.asarray(self.targets, dtype=np.int64)

    def torch_dataset(self, transform: Any = None, mode: str = "RGB") -> Any:
        """A ``torch.utils.data.Dataset`` of ``(image, label)``; images are CHW float tensors in [0, 1]
        unless ``transform`` (called on the PIL image) says otherwise."""
        try:
            import torch
            from torch.utils.data import Dataset
        except ImportError:
            raise ImportError("PyTorch is not installed: pip install 'sebrus[detect]'") from None

        release = self

        class _ReleaseDataset(Dataset):
            classes = release.classes

            def __len__(self) -> int:
                return len(release.paths)

            def __getitem__(self, index: int) -> tuple[Any, int]:
                with Image.open(release.paths[index]) as image:
                    converted = image.convert(mode)
                if transform is not None:
                    return transform(converted), release.targets[index]
                array = np.asarray(converted, dtype=np.float32) / 255.0
                tensor = torch.from_numpy(array)
                tensor = tensor.unsqueeze(0) if tensor.ndim == 2 else tensor.permute(2, 0, 1)
                return tensor, release.targets[index]

        return _ReleaseDataset()


def load_release(
    directory: str | Path, *, chain_url: str | None = None, allow_unverified: bool = False
) -> LoadedRelease:
    """Verify the export at ``directory`` (against the chain at ``chain_url`` if given) and index it."""
    root = Path(directory)
    lookup: ChainLookup | None = None
    if chain_url is not None:
        from sebrus.chain.releases import read_release_at

        def lookup(registry: str, dataset: str, version: int) -> Any:
            return read_release_at(chain_url, registry, dataset, version)

    report = verify_export(root, lookup)
    if not report.ok and not allow_unverified:
        raise UnverifiedRelease(report)
    doc = json.loads((root / RELEASE_FILE).read_text("utf-8"))
    classes = [str(label) for label in doc["dataset"]["labels"]]
    index = {label: i for i, label in enumerate(classes)}
    paths: list[Path] = []
    targets: list[int] = []
    for item in sorted(doc["items"], key=lambda i: str(i["sha256"])):
        path = root / str(item["path"])
        if report.ok or (path.is_file() and str(item["label"]) in index and _inside(root, path)):
            paths.append(path)
            targets.append(index[str(item["label"])])
    return LoadedRelease(root, report, classes, paths, targets)


def _inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _decode(path: Path, size: tuple[int, int] | None, mode: str) -> np.ndarray:
    with Image.open(path) as image:
        converted = image.convert(mode)
        if size is not None:
            converted = converted.resize(size)
        return np.asarray(converted, dtype=np.uint8)
