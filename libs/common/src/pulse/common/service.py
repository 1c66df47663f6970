"""The service kit: one app factory giving every service the same probes, metrics,
auth, error shape and lifecycle (broker producer, database engine, background work)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.responses import Response

from pulse.common.auth import ApiKeyRegistry
from pulse.common.db.engine import (
    check_database,
    create_engine,
    create_session_factory,
)
from pulse.common.db.pool_gauges import record_pool_usage
from pulse.common.errors import install_error_handlers
from pulse.common.foreground import RequestsInFlight, RequestsInFlightMiddleware
from pulse.common.http import JSONResponse, RequestMetricsMiddleware
from pulse.common.kafka.producer import PulseProducer
from pulse.common.readiness import Probes, check_readiness, watch_readiness
from pulse.common.settings import Settings
from pulse.common.topics import Topics

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ServiceContext:
    """What a running service holds: its settings and its connections."""

    name: str
    settings: Settings
    topics: Topics
    producer: PulseProducer
    engine: AsyncEngine
    #: The engine of `reads`: a pool of its own (see `create_engine`).
    read_engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    #: Sessions for the API's reads, outside any transaction (see the factory).
    reads: async_sessionmaker[AsyncSession]
    #: HTTP requests being served: background work steps aside for them.
    requests: RequestsInFlight = field(default_factory=RequestsInFlight)

    def readiness_probes(self) -> Probes:
        """The checks `/readyz` and `pulse_dependency_up` report, by `/readyz` name."""
        return {
            "kafka": self.producer.check_ready,
            "database": lambda: check_database(self.engine),
        }

    def record_pool_usage(self) -> None:
        """Set the `pulse_db_pool_*` gauges from the write and read pools."""
        record_pool_usage((self.engine, self.read_engine))


#: Extra lifecycle a service adds (e.g. a consumer runner) while the app runs.
ServiceHook = Callable[[FastAPI, ServiceContext], AbstractAsyncContextManager[None]]


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """What makes one service different from another."""

    name: str
    schema: str
    description: str
    version: str = "0.1.0"
    routers: Sequence[APIRouter] = ()
    hooks: Sequence[ServiceHook] = field(default_factory=tuple)


async def _open_context(
    spec: ServiceSpec, settings: Settings, requests: RequestsInFlight
) -> ServiceContext:
    producer = PulseProducer(settings, client_id=f"pulse-{spec.name}")
    try:
        await producer.start()
    except Exception as exc:
        raise RuntimeError(
            f"cannot reach Kafka at {settings.kafka_bootstrap_servers} "
            f"(PULSE_KAFKA_BOOTSTRAP_SERVERS): {exc}"
        ) from exc
    engine = create_engine(settings, schema=spec.schema)
    read_engine = create_engine(settings, schema=spec.schema, for_reads=True)
    return ServiceContext(
        name=spec.name,
        settings=settings,
        topics=Topics(settings.topic_prefix),
        producer=producer,
        engine=engine,
        read_engine=read_engine,
        sessions=create_session_factory(engine),
        reads=create_session_factory(read_engine),
        requests=requests,
    )


def _lifespan(
    spec: ServiceSpec, settings: Settings
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = await _open_context(spec, settings, app.state.requests_in_flight)
        app.state.context = context
        watch = asyncio.create_task(
            watch_readiness(context.readiness_probes(), after=context.record_pool_usage),
            name=f"{spec.name}-readiness",
        )
        try:
            async with _run_hooks(app, context, spec.hooks):
                log.info("service started", extra={"schema": spec.schema})
                yield
        finally:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
            await context.producer.stop()
            await context.engine.dispose()
            await context.read_engine.dispose()

    return lifespan


@asynccontextmanager
async def _run_hooks(
    app: FastAPI, context: ServiceContext, hooks: Sequence[ServiceHook]
) -> AsyncIterator[None]:
    if not hooks:
        yield
        return
    async with hooks[0](app, context), _run_hooks(app, context, hooks[1:]):
        yield


def _probe_router() -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: broker and database reachable")
    async def readyz(request: Request) -> Response:
        context: ServiceContext = request.app.state.context
        checks = await check_readiness(context.readiness_probes())
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=True)
    async def metrics(request: Request) -> Response:
        context: ServiceContext | None = getattr(request.app.state, "context", None)
        if context is not None:
            context.record_pool_usage()  # read at the scrape: pool use changes by the ms
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(spec: ServiceSpec, settings: Settings) -> FastAPI:
    """The FastAPI app of one service: probes, metrics, auth, errors, OpenAPI at /docs."""
    app = FastAPI(
        title=f"Pulse {spec.name}",
        description=spec.description,
        version=spec.version,
        lifespan=_lifespan(spec, settings),
        default_response_class=JSONResponse,
    )
    app.state.api_keys = ApiKeyRegistry(settings.parsed_api_keys())
    app.state.settings = settings
    app.state.requests_in_flight = RequestsInFlight()
    install_error_handlers(app)
    app.add_middleware(RequestMetricsMiddleware, service=spec.name)
    app.add_middleware(RequestsInFlightMiddleware, requests=app.state.requests_in_flight)
    app.include_router(_probe_router())
    for router in spec.routers:
        app.include_router(router)
    return app


async def service_context(request: Request) -> ServiceContext:
    """FastAPI dependency: the running service's context. `async`, as every dependency
    here: FastAPI runs a plain `def` dependency in a worker thread, a hand-off that cost
    a read about a tenth of its CPU."""
    context: ServiceContext = request.app.state.context
    return context


#: The running service's context, as a route parameter's type.
Context = Annotated[ServiceContext, Depends(service_context)]
