# One image for visits, issues, reporting and the topic-init job; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0

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
      ./contracts ./buildingblocks ./services/visits ./services/issues ./services/reporting \
 && rm -rf /src /tmp/constraints.txt

RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app
WORKDIR /app
USER app

EXPOSE 8001 8002 8003
CMD ["python", "-m", "visits"]
