# syntax=docker/dockerfile:1
# Multi-stage: build a virtualenv from the lock file, then copy it into a slim,
# non-root runtime image that migrates the database and serves.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements/base.lock requirements/base.lock
RUN /opt/venv/bin/pip install -r requirements/base.lock
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-deps .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/srv/momentum \
    MOMENTUM_DATABASE_URL=sqlite+aiosqlite:////data/momentum.db
RUN useradd --system --uid 10001 --home /srv/momentum momentum \
    && mkdir -p /srv/momentum /data && chown momentum /data
WORKDIR /srv/momentum
COPY --from=build /opt/venv /opt/venv
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
USER momentum
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# MOMENTUM_SECRET_KEY must be provided at run time (production mode requires it).
CMD ["sh", "-c", "momentum db upgrade && exec momentum serve --host 0.0.0.0 --port 8000"]
