# Ponctuel: one slim image for both Fly processes (web and worker).
FROM python:3.11-slim-bookworm AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /srv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

FROM python:3.11-slim-bookworm
# Pango, HarfBuzz and fonts: what WeasyPrint needs to render invoices and reminder letters.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      libharfbuzz-subset0 fonts-dejavu-core fonts-liberation ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 ponctuel
WORKDIR /srv
COPY --from=build /srv/.venv /srv/.venv
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
ENV PATH="/srv/.venv/bin:$PATH" PYTHONPATH=/srv PYTHONUNBUFFERED=1 \
    PICCOLO_CONF=app.piccolo_conf ENVIRONMENT=production TRUST_FLY_CLIENT_IP=true
USER ponctuel
EXPOSE 8080
CMD ["uvicorn", "--factory", "app.main:app_from_env", "--host", "0.0.0.0", "--port", "8080", \
     "--loop", "uvloop", "--http", "httptools", "--proxy-headers", "--forwarded-allow-ips", "*", \
     "--no-access-log"]
