"""Suite-wide checks.

Every manifest the suite writes must validate against the shipped JSON Schema
(docs/manifest.schema.json, generated from epochdrop/folder): after the session, every
`manifest.json` under pytest's temp folders and under the folders tests registered in
`tests/support/manifests.py` (e.g. the shared small demo) is validated. A manifest that is not ours
(another tool's, a what-if's) is skipped by its `format`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.manifests import MANIFEST_ROOTS


def manifest_problems(roots: list[Path]) -> list[str]:
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs/manifest.schema.json")
                        .read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems, seen = [], 0
    for root in roots:
        for path in sorted(Path(root).rglob("manifest.json")) if Path(root).is_dir() else []:
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError):
                continue
            if not isinstance(data, dict) or data.get("format") != "epochdrop-manifest-v2":
                continue
            seen += 1
            for err in validator.iter_errors(data):
                problems.append(f"{path}: {'.'.join(map(str, err.path))}: {err.message}"[:300])
    return problems


@pytest.fixture(scope="session", autouse=True)
def every_manifest_validates(tmp_path_factory):
    yield
    roots = [tmp_path_factory.getbasetemp(), *MANIFEST_ROOTS]
    problems = manifest_problems(roots)
    assert not problems, "manifests that do not match docs/manifest.schema.json:\n" + \
        "\n".join(problems[:20])
