# syntax=docker/dockerfile:1
# Two images from one build:
#   docker build --target api    -t shears-api .
#   docker build --target worker -t shears-worker .
# (docker compose builds both; see docker-compose.yml.)
#
# The .NET 10 images are Ubuntu 24.04 based, whose libstdc++ already has GLIBCXX_3.4.32; the
# build's own patch (build/PatchLibTorchSharp.targets, needed on Debian 12) marks that version need
# weak in the published libLibTorchSharp.so as well, so the output runs on either.
# GPU: swap the libtorch-cpu-linux-x64 package for a CUDA build and run the worker image with
# deploy/docker-compose.gpu.yml; this image is CPU-only.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not refetch packages.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY build/ build/
COPY src/Domain/Shears.Domain.csproj src/Domain/
COPY src/Worker/Shears.Worker.csproj src/Worker/
COPY src/Api/Shears.Api.csproj src/Api/
RUN dotnet restore src/Api/Shears.Api.csproj \
 && dotnet restore src/Worker/Shears.Worker.csproj
COPY src/ src/
# The Api references the Worker project (embedded mode), so both bring an appsettings.json; the
# Api's own wins, which is what ErrorOnDuplicatePublishOutputFiles=false lets publish do.
RUN dotnet publish src/Api/Shears.Api.csproj -c Release --no-restore -o /out/api -p:ErrorOnDuplicatePublishOutputFiles=false \
 && dotnet publish src/Worker/Shears.Worker.csproj -c Release --no-restore -o /out/worker

# The Api: REST, SSE, Swagger UI, Hangfire dashboard; runs migrations. With ConnectionStrings__Postgres
# unset it is the embedded all-in-one service (SQLite, in-process worker).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS api
WORKDIR /app
COPY --from=build /out/api .
ENV ASPNETCORE_HTTP_PORTS=8080 \
    Artifacts__Path=/var/lib/shears/artifacts \
    Database__SqlitePath=/var/lib/shears/shears.db
RUN mkdir -p /var/lib/shears/artifacts && chown -R "$APP_UID" /var/lib/shears
VOLUME /var/lib/shears
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Shears.Api.dll"]

# A pruning worker: a Hangfire server on the queues in Worker__Queues (default cpu); needs
# ConnectionStrings__Postgres and the same artifacts volume as the Api.
FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION} AS worker
WORKDIR /app
COPY --from=build /out/worker .
ENV Artifacts__Path=/var/lib/shears/artifacts \
    Worker__Queues=cpu
RUN mkdir -p /var/lib/shears/artifacts && chown -R "$APP_UID" /var/lib/shears
VOLUME /var/lib/shears
USER $APP_UID
ENTRYPOINT ["dotnet", "Shears.Worker.dll"]
