"""A real `prefect-pitfalls serve` over stdio, driven by pytest-lsp's client."""

from __future__ import annotations

import sys
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import make_test_lsp_client


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics in order."""
    client = make_test_lsp_client()
    client.publishes = []

    def publish(params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.publishes.append(params)

    client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    client.registrations = []
    client.protocol.fm.features[types.CLIENT_REGISTER_CAPABILITY] = client.registrations.append
    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "prefect_pitfalls", "serve"],
        client_factory=recording_client,
    )
)
async def client(lsp_client: LanguageClient):
    yield lsp_client
    if lsp_client.capabilities is not None:
        await lsp_client.shutdown_session()
