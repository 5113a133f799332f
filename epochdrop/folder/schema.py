"""The manifest's JSON Schema, generated from the pydantic model.

Shipped as docs/manifest.schema.json so tools in any language can validate a folder; a test
regenerates it and compares, so the file cannot drift from the model. Regenerate with
`python -m epochdrop.folder.schema > docs/manifest.schema.json`.
"""

from __future__ import annotations

import sys

from epochdrop.folder.manifest import Manifest
from epochdrop.fsio import canonical_json

SCHEMA_ID = "https://epochdrop.invalid/manifest.schema.json"


def manifest_schema() -> dict:
    schema = Manifest.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            **schema}


def schema_bytes() -> bytes:
    return canonical_json(manifest_schema())


if __name__ == "__main__":
    sys.stdout.buffer.write(schema_bytes())
