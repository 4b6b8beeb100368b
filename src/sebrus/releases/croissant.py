"""Croissant 1.0 JSON-LD metadata for an export, with the Responsible-AI fields the platform knows.

Every file in the export (each image and the CSV manifest) is a ``cr:FileObject`` carrying its sha256,
so the metadata alone is enough to check a download. The RAI fields state only what SeBRUS itself
enforces: how items were collected, checked, labelled and judged, and how releases are maintained.

The ``@context`` is the standard Croissant 1.0 one (every key the reference client, mlcroissant,
expects, plus the ``rai`` prefix), and the recommended ``license`` and ``citeAs`` are always present,
so ``mlcroissant`` loads an export without a warning. They are the dataset owner's: a single SPDX
licence id becomes its spdx.org URL, an SPDX expression or a URL is written as given. An owner who
stated no licence gets SPDX's ``NOASSERTION`` (nothing is claimed about reuse), and one who stated no
citation gets a BibTeX entry naming the release, its dataset contract, chain and Merkle root.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sebrus.releases.document import CSV_MANIFEST, IMAGES_DIR

if TYPE_CHECKING:
    from sebrus.releases.export import ReleaseInfo

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "equivalentProperty": "cr:equivalentProperty",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

NO_LICENSE = "NOASSERTION"  # SPDX: no licence information is asserted
_SPDX_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*\+?$")

_MEDIA = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif"}

_COLUMNS = (
    ("path", "sc:Text", "Path of the image inside the export."),
    ("label", "sc:Text", "The label its contributor gave it, one of the dataset's label set."),
    ("sha256", "sc:Text", "sha256 of the image bytes; also its content hash on chain."),
    ("contributor", "sc:Text", "Ethereum address of the wallet that anchored the image."),
    ("tx_hash", "sc:Text", "Transaction that anchored the image."),
    ("votes", "sc:Text", "Reviewers' votes on the item, when the dataset's review recorded them."),
    ("suspicion", "sc:Float", "Poison-detector suspicion score, when the item was scanned."),
)


def croissant_metadata(info: ReleaseInfo, files: Mapping[str, str]) -> dict[str, Any]:
    """``files`` maps each exported file's relative path to its sha256 hex."""
    distribution: list[dict[str, Any]] = []
    for path in sorted(files):
        suffix = path[path.rfind(".") :] if "." in path else ""
        distribution.append(
            {
                "@type": "cr:FileObject",
                "@id": path,
                "name": path,
                "contentUrl": path,
                "encodingFormat": "text/csv"
                if path == CSV_MANIFEST
                else _MEDIA.get(suffix, "application/octet-stream"),
                "sha256": files[path],
            }
        )
    distribution.append(
        {
            "@type": "cr:FileSet",
            "@id": "images",
            "name": "images",
            "description": "Every image, one folder per label (ImageFolder layout).",
            "encodingFormat": "image/*",
            "includes": f"{IMAGES_DIR}/*/*",
        }
    )
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"items/{name}",
            "name": name,
            "description": description,
            "dataType": data_type,
            "source": {"fileObject": {"@id": CSV_MANIFEST}, "extract": {"column": name}},
        }
        for name, data_type, description in _COLUMNS
    ]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": info.dataset_name,
        "description": info.description or f"SeBRUS dataset {info.dataset_name}",
        "version": f"{info.version}.0.0",
        "datePublished": info.published_at,
        "url": f"ethereum:{info.registry}@{info.chain_id}",
        "identifier": f"{info.dataset_address}@{info.chain_id}/release/{info.version}",
        "isLiveDataset": False,
        "license": license_value(info.license),
        "citeAs": info.cite_as or default_citation(info),
        "distribution": distribution,
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": "items",
                "name": "items",
                "description": "One record per released image.",
                "key": {"@id": "items/sha256"},
                "field": fields,
            }
        ],
        "rai:dataCollection": (
            "Crowdsourced: contributors uploaded labelled images through SeBRUS. Each image was anchored on "
            "Ethereum (its sha256, label and the contributor's wallet) before it entered the dataset."
        ),
        "rai:dataCollectionType": ["Crowdsourcing"],
        "rai:dataPreprocessingProtocol": (
            "Uploads were checked on arrival: the label belongs to the dataset's fixed set, the bytes decode "
            "as PNG, JPEG, WebP or GIF within the dataset's size and pixel bounds, and decompression bombs "
            "are refused. Images are stored byte for byte as uploaded; nothing was resized or re-encoded."
        ),
        "rai:dataAnnotationProtocol": (
            "Each contributor labels their own upload. Poison detectors may quarantine an item; every item "
            "must be resolved as Approved on chain by the dataset's resolver (its review) before a release "
            "may include it. Only Approved items are released."
        ),
        "rai:dataAnnotationPlatform": "SeBRUS",
        "rai:dataReleaseMaintenancePlan": (
            "Releases are immutable and versioned in the ReleaseRegistry contract "
            f"{info.registry} on chain {info.chain_id}, each committed to by a Merkle root over (sha256, "
            "label). A later release may remove items; its release.json lists which and why."
        ),
        "rai:dataLimitations": (
            "Labels come from contributors and are judged by review; they are not independently audited "
            "beyond that. Contributors are identified only by wallet address."
        ),
    }


def license_value(license: str | None) -> str:
    """What Croissant's ``license`` says for the owner's licence (see the module)."""
    if license is None:
        return NO_LICENSE
    if _SPDX_ID.match(license) and license != NO_LICENSE:
        return f"https://spdx.org/licenses/{license}.html"
    return license


def default_citation(info: ReleaseInfo) -> str:
    """A BibTeX entry that names this exact release, for a dataset whose owner stated no citation."""
    key = re.sub(r"[^A-Za-z0-9]+", "_", info.dataset_name).strip("_").lower() or "dataset"
    title = info.dataset_name.replace("{", "(").replace("}", ")")
    return (
        f"@misc{{sebrus_{key}_v{info.version},\n"
        f"  title = {{{title}, release {info.version}}},\n"
        f"  howpublished = {{SeBRUS release {info.version} of dataset contract {info.dataset_address} "
        f"on chain {info.chain_id}, Merkle root {info.merkle_root}}},\n"
        f"  year = {{{info.published_at[:4]}}}\n"
        "}"
    )
