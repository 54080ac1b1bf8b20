"""Property-based tests of the HTTP API from its own OpenAPI document (schemathesis): whatever
the generated request, no 5xx, and every response matches the schema, status codes included."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from bot.server import create_app
from bot.settings import Settings
from tests.conftest import REPO

# Per operation; NEWSBOT_SCHEMA_EXAMPLES lowers it for a quick local run.
EXAMPLES = int(os.environ.get("NEWSBOT_SCHEMA_EXAMPLES", "200"))
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
# The schema is read when this module is collected; the app makes its Bot on the first request.
_data_dir = Path(tempfile.mkdtemp(prefix="newsbot-schema-"))
atexit.register(shutil.rmtree, _data_dir, True)
app = create_app(Settings(data_dir=_data_dir))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def _sample_articles() -> None:
    files = [("files", (p.name, p.read_bytes(), "text/markdown")) for p in sorted((REPO / "samples").glob("*.md"))]
    assert TestClient(app).post("/v1/articles", files=files).status_code == 200


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_honours_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
