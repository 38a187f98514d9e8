# orgbot container: slim Python, non-root user, healthcheck on /readyz.
#   docker build -t orgbot:0.1.0 .
# The image is built from the same locked wheelhouse as the offline install
# (deploy/build-wheelhouse.sh), so a container and a venv run identical versions.

FROM python:3.11-slim AS wheels
WORKDIR /src
COPY . .
RUN PYTHON=python deploy/build-wheelhouse.sh /wheelhouse

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ORGBOT_SERVER_HOST=0.0.0.0 \
    ORGBOT_SERVER_PORT=8080 \
    ORGBOT_KNOWLEDGE_INDEX_DIR=/var/lib/orgbot/index
RUN groupadd --system --gid 10001 orgbot \
 && useradd --system --uid 10001 --gid orgbot --home-dir /var/lib/orgbot --create-home --shell /usr/sbin/nologin orgbot
RUN --mount=type=bind,from=wheels,source=/wheelhouse,target=/wheelhouse \
    pip install --no-index --find-links /wheelhouse -r /wheelhouse/requirements.lock orgbot
USER orgbot
WORKDIR /var/lib/orgbot
EXPOSE 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('ORGBOT_SERVER_PORT', '8080'), timeout=4)"]
CMD ["orgbot", "run"]
