"""The baseline: a bare Litestar app answering `GET /` with plain text, nothing else."""

from litestar import Litestar, get


@get("/", media_type="text/plain")
async def hello() -> str:
    return "hello"


def create_app() -> Litestar:
    return Litestar(route_handlers=[hello])


app = create_app()
