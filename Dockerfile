# Ponctuel: one slim image for both Fly processes (web and worker).
FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /srv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 ponctuel
WORKDIR /srv
COPY --from=build /srv/.venv /srv/.venv
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# Which proxy headers to trust is deployment configuration (fly.toml), never baked in here.
ENV PATH="/srv/.venv/bin:$PATH" PYTHONPATH=/srv PYTHONUNBUFFERED=1 \
    PICCOLO_CONF=app.piccolo_conf ENVIRONMENT=production HOST=0.0.0.0 PORT=8080
USER ponctuel
EXPOSE 8080
# The web process; the worker runs `python -m workers` from the same image.
CMD ["python", "-m", "app.serve"]
