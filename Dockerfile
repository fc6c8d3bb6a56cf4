# grenzen serve in a container. Build: docker build -t grenzen .
# Run (a token is required: the service listens on 0.0.0.0 inside the container):
#   docker run -p 127.0.0.1:8000:8000 -e GRENZEN_TOKEN=... -v "$PWD/rules:/regels:ro" grenzen --regels /regels

# --- builder: durable-rules is published as source only, so it is compiled here, with the toolchain ---
FROM python:3.12-slim AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
COPY rules ./rules
# the define lets durable-rules build on Python 3.13 and is harmless on 3.11/3.12; -O2 optimises its C engine,
# which its setup.py would otherwise build unoptimised (see README)
ENV CPPFLAGS="-O2 -DPyEval_CallObject=PyObject_CallObject"
RUN python -m venv /opt/grenzen \
 && /opt/grenzen/bin/pip install --no-cache-dir ".[server]"

# --- runtime: the virtual environment only; no compiler, no sources, a user without rights ---
FROM python:3.12-slim
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin grenzen
COPY --from=builder /opt/grenzen /opt/grenzen
ENV PATH=/opt/grenzen/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER grenzen
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/v1/gezondheid', timeout=2).status != 200)"]
ENTRYPOINT ["grenzen", "serve", "--host", "0.0.0.0", "--port", "8000"]
