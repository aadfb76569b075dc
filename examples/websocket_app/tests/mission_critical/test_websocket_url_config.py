"""The gate for configuration: the WebSocket URL comes from NEXT_PUBLIC_WS_URL,
and the fallback endpoint keeps its own, different key."""

from chat_backend import config

# Spelled in pieces so a key rename in this file cannot make the test agree with a wrong rename.
OLD_KEY = "NEXT_PUBLIC_" + "WEBSOCKET_URL"
FALLBACK_KEY = "NEXT_PUBLIC_" + "WEBSOCKET_URL_FALLBACK"


def test_url_comes_from_the_canonical_key(monkeypatch):
    monkeypatch.setenv("NEXT_PUBLIC_WS_URL", "wss://chat.example.com/ws")
    assert config.websocket_url() == "wss://chat.example.com/ws"
    assert config.settings()["NEXT_PUBLIC_WS_URL"] == "wss://chat.example.com/ws"


def test_default_url_when_nothing_is_set(monkeypatch):
    for key in ("NEXT_PUBLIC_WS_URL", OLD_KEY):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv(FALLBACK_KEY, "wss://backup.example.com/ws")
    assert config.websocket_url() == config.DEFAULT_WS_URL


def test_fallback_url_keeps_its_own_key(monkeypatch):
    monkeypatch.setenv(FALLBACK_KEY, "wss://backup.example.com/ws")
    assert config.websocket_fallback_url() == "wss://backup.example.com/ws"
    assert config.settings()[FALLBACK_KEY] == "wss://backup.example.com/ws"
