# One image for visits, issues, reporting, notifier, the console and the topic-init job; docker-compose.yml picks the command.

# The console's front-end libraries (htmx, ECharts) from the npm registry, as services/console/package-lock.json
# pins them: nothing is loaded from a CDN, and the vendor files are never in the repository.
FROM node:20-slim AS vendor
WORKDIR /vendor
COPY services/console/package.json services/console/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && mkdir out && cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js out/
# Swagger UI and ReDoc for the services' /docs and /redoc, as buildingblocks/package-lock.json pins them.
WORKDIR /docs
COPY buildingblocks/package.json buildingblocks/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && mkdir out && cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
      node_modules/swagger-ui-dist/favicon-32x32.png node_modules/redoc/bundles/redoc.standalone.js out/

FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0

# The reporting service prints its documents (the 季通报 as PDF, its charts) in a CJK font: without it every Chinese
# character would be a box.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

# Sources live outside the working directory so `python -m` never picks up a source folder
# instead of the installed package.
WORKDIR /src
COPY contracts/ ./contracts/
COPY buildingblocks/ ./buildingblocks/
COPY services/ ./services/
COPY requirements.txt ./
# Non-editable, all in one resolve: buildingblocks depends on `contracts`, which is not on PyPI.
# requirements.txt's pins become constraints (pip refuses extras and -e lines there), so the image
# runs the versions CI tests.
RUN grep -E '^[A-Za-z0-9]' requirements.txt | sed -E 's/\[[^]]*\]//' > /tmp/constraints.txt \
 && pip install -c /tmp/constraints.txt \
      ./contracts ./buildingblocks ./services/visits ./services/issues ./services/reporting ./services/notifier ./services/console \
 && rm -rf /src /tmp/constraints.txt

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app

# The vendor files go into the installed console package's static/vendor/, where `infra/stack.sh install` puts
# them in a checkout (the package's own package-data does not carry them).
COPY --from=vendor /vendor/out/ /tmp/vendor/
RUN dir=$(python -c 'import console, pathlib; print(pathlib.Path(console.__file__).parent / "static" / "vendor")') \
 && mkdir -p "$dir" && cp /tmp/vendor/*.js "$dir/" && rm -rf /tmp/vendor && ls -l "$dir"
COPY --from=vendor /docs/out/ /tmp/docs/
RUN dir=$(python -c 'import buildingblocks.docs as d; print(d.ASSETS)') \
 && mkdir -p "$dir" && cp /tmp/docs/* "$dir/" && rm -rf /tmp/docs && ls -l "$dir"

USER app

EXPOSE 8000 8001 8002 8003 8004
CMD ["python", "-m", "visits"]
