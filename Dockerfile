# One image for OLF's worker and for the Customer service (they are one Python
# distribution, and both use infrastructure/): `docker compose up --build` runs
# both next to an apache/kafka broker.
# tests/unit/test_docker_compose.py rebuilds this image's file set from the
# COPY lines below and installs it, so a package missing here fails CI.
FROM python:3.11-slim

WORKDIR /srv/olf
COPY pyproject.toml README.md ./
COPY app ./app
COPY agents ./agents
COPY tables ./tables
COPY models ./models
COPY customer_service ./customer_service
COPY orders_service ./orders_service
COPY infrastructure ./infrastructure
RUN pip install --no-cache-dir .

# Inside a container the web server must listen on all interfaces (the
# published ports in docker-compose.yml stay bound to the host's loopback);
# beyond loopback the worker needs OLF_INTERNAL_TOKEN, set by compose.
ENV OLF_WEB_BIND=0.0.0.0 \
    OLF_DATA_DIR=/var/lib/olf
EXPOSE 6066
CMD ["faust", "-A", "app.main", "worker", "-l", "info"]
