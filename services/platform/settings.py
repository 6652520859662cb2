"""What a service process needs to know about its surroundings, read once from the environment.

`a4co run` (and the end-to-end tests) start every service with these variables; run by hand, a service
falls back to the local defaults of the contract (its OpenAPI `servers` port, the devstack directories).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["DEFAULT_PORTS", "Settings"]

# The ports of the OpenAPI documents' `servers` entries; the launcher picks others when these are taken.
DEFAULT_PORTS = {
    "gateway": 8080,
    "auth": 8081,
    "order": 8082,
    "inventory": 8083,
    "payment": 8084,
    "user": 8085,
    "product": 8086,
    "artisan": 8087,
    "analytics": 8088,
    "notification": 8089,
    "delivery": 8090,
    "loyalty": 8091,
    "dlq": 8092,
}


def _peers_from_env() -> dict[str, str]:
    """`A4CO_URL_<SERVICE>=http://127.0.0.1:8083` for every peer the launcher started."""
    peers = {name: f"http://127.0.0.1:{port}" for name, port in DEFAULT_PORTS.items()}
    for key, value in os.environ.items():
        if key.startswith("A4CO_URL_"):
            peers[key.removeprefix("A4CO_URL_").lower().replace("_", "-")] = value
    return peers


@dataclass(frozen=True, slots=True)
class Settings:
    service: str
    nats_url: str
    redis_url: str
    database_url: str
    http_host: str
    http_port: int
    run_dir: Path
    keys_dir: Path
    peers: dict[str, str] = field(default_factory=dict)
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, service: str) -> Settings:
        run_dir = Path(os.environ.get("A4CO_RUN_DIR", ".run")).resolve()
        data_dir = run_dir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            service=service,
            nats_url=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
            redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            database_url=os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / service}.db",
            http_host=os.environ.get("A4CO_HTTP_HOST", "127.0.0.1"),
            http_port=int(os.environ.get("A4CO_HTTP_PORT") or DEFAULT_PORTS.get(service, 0)),
            run_dir=run_dir,
            keys_dir=Path(os.environ.get("A4CO_KEYS_DIR") or run_dir / "keys").resolve(),
            peers=_peers_from_env(),
            log_level=os.environ.get("A4CO_LOG_LEVEL", "INFO"),
        )

    def url_of(self, service: str) -> str:
        try:
            return self.peers[service]
        except KeyError:
            raise LookupError(
                f"no URL known for service {service!r}; set A4CO_URL_{service.upper()}"
            ) from None
