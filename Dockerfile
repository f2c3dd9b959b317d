FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PYTHONPATH=/app
WORKDIR /app

COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock
COPY bot ./bot
COPY connectors ./connectors
COPY db ./db
COPY services ./services
COPY sandbox ./sandbox
RUN useradd --create-home --uid 10001 app \
    && mkdir -p /app/data && chown app:app /app/data

USER app
VOLUME ["/app/data"]
# `run` migrates the database first, then starts polling.
CMD ["python", "-m", "bot", "run"]
