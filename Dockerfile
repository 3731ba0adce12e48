# The production image: one image for every process (web, streaming, worker, beat, migrate);
# docker-compose.yml picks the command. State lives in the /data volume (DATA_DIR).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

RUN groupadd --system fedisocial \
    && useradd --system --gid fedisocial --home-dir /app --shell /usr/sbin/nologin fedisocial

# Dependencies first, so code changes reuse this layer. pyproject.toml is the only list.
COPY pyproject.toml ./
COPY .ci/requirements.py .ci/requirements.py
RUN python .ci/requirements.py > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Static files are served by whitenoise from the image. The throwaway key and data directory
# keep the build from writing a real secret into a layer.
RUN SECRET_KEY=collectstatic-only DATA_DIR=/tmp/build-data \
        python manage.py collectstatic --noinput --verbosity 0 \
    && rm -rf /tmp/build-data \
    && mkdir -p /data \
    && chown fedisocial:fedisocial /data

USER fedisocial
VOLUME ["/data"]
EXPOSE 8000 4000

# The web service's health check (GET /health) is declared in docker-compose.yml.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "fedisocial.wsgi"]
