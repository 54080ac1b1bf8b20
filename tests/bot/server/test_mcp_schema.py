"""Property-based tests of /mcp's JSON-RPC (schemathesis), as test_schema.py does for the REST API:
an OpenAPI document written from the MCP server's own tool schemas describes the requests an MCP
client sends (tools/list, tools/call with each tool's arguments, resources/read, initialize, ping),
and whatever is generated from it, sent to a real uvicorn on 127.0.0.1, gets no 5xx."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from bot import Bot
from bot.mcp.server import build_mcp
from bot.server import create_app
from tests.bot.server.conftest import serve_app
from tests.conftest import SEED

EXAMPLES = int(os.environ.get("NEWSBOT_SCHEMA_EXAMPLES", "150"))
ACCEPT = "application/json, text/event-stream"  # what the streamable HTTP transport requires


def rpc(method: str, params: dict[str, Any] | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"jsonrpc": {"const": "2.0"}, "id": {"type": "integer"}, "method": {"const": method}}
    if params is not None:
        properties["params"] = params
    return {"type": "object", "properties": properties, "required": list(properties)}


def hoisted(node: Any, defs: dict[str, Any]) -> Any:
    """A tool's input schema with its `$defs` moved to the document's components (where references
    in an OpenAPI document resolve) and its references pointed there."""
    if isinstance(node, dict):
        defs.update(node.get("$defs", {}))
        return {k: ("#/components/schemas/" + v.rsplit("/", 1)[-1] if k == "$ref" else hoisted(v, defs))
                for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [hoisted(v, defs) for v in node]
    return node


def mcp_document() -> dict[str, Any]:
    tools = anyio.run(build_mcp(lambda: None).list_tools)  # type: ignore[arg-type,return-value]
    defs: dict[str, Any] = {}
    calls = [rpc("tools/call", {"type": "object", "required": ["name", "arguments"], "properties": {
        "name": {"const": tool.name}, "arguments": hoisted(tool.input_schema, defs)}}) for tool in tools]
    initialize = rpc("initialize", {"type": "object", "required": ["protocolVersion", "capabilities", "clientInfo"],
                                    "properties": {"protocolVersion": {"type": "string"},
                                                   "capabilities": {"type": "object"},
                                                   "clientInfo": {"type": "object", "required": ["name", "version"],
                                                                  "properties": {"name": {"type": "string"},
                                                                                 "version": {"type": "string"}}}}})
    read = rpc("resources/read", {"type": "object", "required": ["uri"], "properties": {"uri": {"type": "string"}}})
    body = {"oneOf": [*calls, rpc("tools/list", None), rpc("ping", None), read, initialize]}
    answers = {str(code): {"description": "any", "content": {"application/json": {"schema": {}}}}
               for code in (200, 202, 400, 404, 405, 406, 413, 415, 422, 429)}
    return {"openapi": "3.1.0", "info": {"title": "newsbot MCP", "version": "1"},
            "components": {"schemas": hoisted(defs, {})}, "paths": {"/mcp": {"post": {
        "parameters": [{"name": "Accept", "in": "header", "required": True, "schema": {"const": ACCEPT}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": answers}}}}


schema = schemathesis.openapi.from_dict(mcp_document())


@pytest.fixture(scope="module")
def mcp_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    bot = Bot(data_dir=Path(tmp_path_factory.mktemp("mcp-schema")))
    bot.ingest([SEED])
    with serve_app(create_app(bot=bot)) as url:
        yield url


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_mcp_json_rpc_never_gets_a_5xx(case: schemathesis.Case, mcp_base: str) -> None:
    case.call_and_validate(base_url=mcp_base, checks=[not_a_server_error], headers={"Accept": ACCEPT})
