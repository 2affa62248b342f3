# syntax=docker/dockerfile:1
# Three images from one build:
#   docker build --target api      -t shears-api .       # distributed Api: REST, SSE, Swagger, migrations; runs no jobs, so no libtorch
#   docker build --target worker   -t shears-worker .    # a pruning worker: the engine (libtorch), fonts for report.png
#   docker build --target embedded -t shears .           # the all-in-one service (SQLite, jobs in the Api process)
# docker compose builds the first two; see docker-compose.yml.
#
# GPU workers: --build-arg LIBTORCH_PACKAGE=libtorch-cuda-12.8-linux-x64 builds the worker with CUDA libtorch
# (a multi-GB package from nuget.org; deploy/docker-compose.gpu.yml passes it and says what the host needs).
#
# The .NET 10 images are Ubuntu 24.04 based, whose libstdc++ already has GLIBCXX_3.4.32; the build's own patch
# (build/PatchLibTorchSharp.targets, needed on Debian 12) marks that version need weak in the published
# libLibTorchSharp.so as well, so the output runs on either.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
# The libtorch package the worker and the embedded service run on (the Api image runs none: LibTorchPackage=none).
ARG LIBTORCH_PACKAGE=libtorch-cpu-linux-x64
WORKDIR /src
# Restore first, from the project files only, so source edits do not refetch packages.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Domain/Shears.Domain.csproj src/Domain/
COPY src/Worker/Shears.Worker.csproj src/Worker/
COPY src/Api/Shears.Api.csproj src/Api/
RUN dotnet restore src/Api/Shears.Api.csproj -p:LibTorchPackage=none \
 && dotnet restore src/Api/Shears.Api.csproj -p:LibTorchPackage=${LIBTORCH_PACKAGE}
COPY src/ src/
# Each publish restores with its own LibTorchPackage (the packages are cached above). The Api references the Worker
# project (embedded mode), so both bring an appsettings.json; the Api's own wins (ErrorOnDuplicatePublishOutputFiles).
RUN dotnet publish src/Api/Shears.Api.csproj -c Release -o /out/api -p:LibTorchPackage=none -p:ErrorOnDuplicatePublishOutputFiles=false \
 && dotnet publish src/Api/Shears.Api.csproj -c Release -o /out/embedded -p:LibTorchPackage=${LIBTORCH_PACKAGE} -p:ErrorOnDuplicatePublishOutputFiles=false \
 && dotnet publish src/Worker/Shears.Worker.csproj -c Release -o /out/worker -p:LibTorchPackage=${LIBTORCH_PACKAGE} \
 && ! ls /out/api | grep -q '^libtorch'

# The distributed Api. It needs ConnectionStrings__Postgres: without libtorch it cannot be the embedded service, and
# says so instead of starting one whose every job would fail. curl is for the healthcheck.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS api
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/api .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Artifacts__Path=/var/lib/shears/artifacts
RUN mkdir -p /var/lib/shears/artifacts && chown -R "$APP_UID" /var/lib/shears
EXPOSE 8080
USER $APP_UID
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=12 CMD curl -fsS http://localhost:8080/readyz || exit 1
ENTRYPOINT ["sh", "-c", "if [ -z \"$ConnectionStrings__Postgres\" ]; then echo 'shears-api: set ConnectionStrings__Postgres (this image runs no jobs: it has no libtorch; the all-in-one service is the embedded target).' >&2; exit 64; fi; exec dotnet Shears.Api.dll \"$@\"", "shears-api"]

# A pruning worker: a Hangfire server on the queues in Worker__Queues (default cpu); needs ConnectionStrings__Postgres
# and the same artifacts volume as the Api. report.png's text needs a font in /usr/share/fonts, where the worker's
# Skia (SkiaSharp's NoDependencies build) looks; the .NET images have none.
FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION} AS worker
RUN apt-get update && apt-get install -y --no-install-recommends fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/worker .
ENV Artifacts__Path=/var/lib/shears/artifacts \
    Worker__Queues=cpu
RUN mkdir -p /var/lib/shears/artifacts && chown -R "$APP_UID" /var/lib/shears
USER $APP_UID
ENTRYPOINT ["dotnet", "Shears.Worker.dll"]

# The all-in-one service (embedded mode: SQLite, Hangfire in memory, jobs in this process), for a try-out:
#   docker run -p 8080:8080 -v shears-data:/var/lib/shears shears
# With no API keys it listens on loopback only, which in a container nobody can reach: pass Auth__ApiKeys__0__Tenant
# and Auth__ApiKeys__0__Key.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS embedded
RUN apt-get update && apt-get install -y --no-install-recommends curl fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /out/embedded .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Artifacts__Path=/var/lib/shears/artifacts \
    Database__SqlitePath=/var/lib/shears/shears.db
RUN mkdir -p /var/lib/shears/artifacts && chown -R "$APP_UID" /var/lib/shears
EXPOSE 8080
USER $APP_UID
HEALTHCHECK --interval=5s --timeout=3s --start-period=30s --retries=12 CMD curl -fsS http://localhost:8080/readyz || exit 1
ENTRYPOINT ["dotnet", "Shears.Api.dll"]
