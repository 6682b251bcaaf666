# An OLF worker image: `docker compose up` runs it next to an apache/kafka broker.
FROM python:3.11-slim

WORKDIR /srv/olf
COPY pyproject.toml README.md ./
COPY app ./app
COPY agents ./agents
COPY tables ./tables
COPY models ./models
RUN pip install --no-cache-dir .

# Inside a container the web server must listen on all interfaces; the
# published port in docker-compose.yml stays bound to the host's loopback.
ENV OLF_WEB_BIND=0.0.0.0 \
    OLF_DATA_DIR=/var/lib/olf
EXPOSE 6066
CMD ["faust", "-A", "app.main", "worker", "-l", "info"]
